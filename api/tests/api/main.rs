//! The integration suite, linked once: every module drives the real HTTP server (or the real
//! binary) against a fresh database per test, on SQLite and, when `TEST_DATABASE_URL` is set,
//! on Postgres. `support` spawns the app and holds the helpers the modules share.
#[macro_use]
mod support;

mod accounts;
mod api_keys;
mod architecture;
mod as_of;
mod bad_input;
mod chain;
mod concurrency;
mod connections;
mod corroboration;
mod desk;
mod disclosure;
mod export;
mod faults;
mod feed;
mod filters;
mod fuzz_findings;
mod graphiql;
mod graphql_over_http;
mod history;
mod hostile_queries;
mod http_hardening;
mod masking;
mod public_read;
mod readme;
mod replica;
mod response_cache;
mod review_queue;
mod schema;
mod seed;
mod sources;
mod startup;
mod subscriptions;
mod throttling;
mod tokens;
mod vocabulary;
mod workflow;
mod write_validation;
