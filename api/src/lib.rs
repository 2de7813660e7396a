//! Chancery: a curated, sourced fact store for international relations, served over GraphQL.
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error_code;
pub mod graphql;
pub mod http;
pub mod live;
pub mod seed;
pub mod telemetry;
pub mod throttling;
