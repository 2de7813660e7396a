//! The GraphQL API: types and resolvers per domain area, merged into one schema. Resolvers
//! parse arguments, call the domain and map the result; the rules live in `domain`.
pub mod actors;
pub mod connection;
pub mod error;
pub mod facts;
pub mod ids;
pub mod kinds;
pub mod loaders;
pub mod node;
pub mod sources;

use async_graphql::{EmptyMutation, EmptySubscription, MergedObject, Schema};
use sea_orm::DatabaseConnection;

/// Every query of the API.
#[derive(MergedObject, Default)]
pub struct Query(facts::FactQuery, actors::ActorQuery, sources::SourceQuery, kinds::KindQuery, node::NodeQuery);

pub type ChancerySchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// Limits that keep a single query from monopolizing the server.
#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub introspection: bool,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self { max_depth: 16, max_complexity: 5_000, introspection: true }
    }
}

/// Builds the schema; `db` is available to every resolver.
pub fn build_schema(db: Option<DatabaseConnection>, limits: QueryLimits) -> ChancerySchema {
    let mut builder = Schema::build(Query::default(), EmptyMutation, EmptySubscription)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity);
    if !limits.introspection {
        builder = builder.disable_introspection();
    }
    if let Some(db) = db {
        builder = builder.data(db);
    }
    builder.finish()
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    build_schema(None, QueryLimits::default()).sdl()
}
