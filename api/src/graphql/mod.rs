//! The GraphQL API: the object graph (`graph`), and the inputs, queries and mutations per
//! domain area (`fact/`, `actor`, `source`, `kind`, `account`, `api_key`, `node`, `history`, `feed`,
//! `subscription`), merged into
//! one schema. Resolvers parse arguments, call the
//! domain and map the result; the rules live in `domain`. Around them: the context accessors
//! (`context`), the one connection type (`connection`), global ids (`ids`), DataLoaders
//! (`loaders`), the one mapping of errors (`error`), and the guards run before and while a query
//! executes (`cost`, `limits`, `nul_guard`, `response_budget`).
/// Declares the payloads of mutations that return the same shape, each under its own name, so
/// that fields can later be added to one without touching the others.
macro_rules! payloads {
    (@one { $($(#[$field_doc:meta])* $field:ident: $ty:ty),+ $(,)? } $(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(async_graphql::SimpleObject)]
        pub struct $name {
            $($(#[$field_doc])* pub $field: $ty,)+
        }
    };
    ($fields:tt $($(#[$doc:meta])* $name:ident;)+) => {
        $(payloads!(@one $fields $(#[$doc])* $name);)+
    };
}

pub mod account;
pub mod actor;
pub mod api_key;
pub mod connection;
pub mod context;
pub mod cost;
pub mod error;
pub mod fact;
pub mod feed;
pub mod graph;
pub mod guards;
pub mod history;
pub mod ids;
pub mod int_range;
pub mod kind;
pub mod limits;
pub mod loaders;
pub mod node;
pub mod nul_guard;
pub mod operation;
pub mod required_variables;
pub mod response_budget;
pub mod response_order;
pub mod scalars;
pub mod source;
pub mod subscription;

use async_graphql::{MergedObject, Schema};
use sea_orm::DatabaseConnection;

use crate::auth::tokens::TokenService;
use crate::throttling::login::LoginThrottle;

/// Every query of the API.
#[derive(MergedObject, Default)]
pub struct Query(
    fact::query::FactQuery,
    actor::ActorQuery,
    source::SourceQuery,
    kind::KindQuery,
    node::NodeQuery,
    account::ViewerQuery,
    fact::query::ReviewQuery,
    history::HistoryQuery,
    feed::FeedQuery,
    api_key::ApiKeyQuery,
);

/// Every mutation of the API.
#[derive(MergedObject, Default)]
pub struct Mutation(
    account::AuthMutation,
    actor::ActorMutation,
    source::SourceMutation,
    fact::mutation::FactMutation,
    kind::KindMutation,
    api_key::ApiKeyMutation,
);

pub type ChancerySchema = Schema<Query, Mutation, subscription::Subscription>;

/// The schema while it is being built; `app::build_with` lets an embedder add to it.
pub type ChancerySchemaBuilder = async_graphql::SchemaBuilder<Query, Mutation, subscription::Subscription>;

/// What resolvers need besides their arguments.
pub struct SchemaServices {
    pub db: DatabaseConnection,
    pub tokens: TokenService,
    pub throttle: LoginThrottle,
    /// The live tail that subscriptions read.
    pub live: crate::live::LiveHub,
}

/// Limits that keep a single query from monopolizing the server.
#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub introspection: bool,
    pub suggestions: bool,
    /// Largest answer, in bytes of text, built for one request.
    pub max_response_bytes: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            max_depth: crate::config::DEFAULT_MAX_QUERY_DEPTH as usize,
            max_complexity: 20_000,
            introspection: true,
            suggestions: true,
            max_response_bytes: crate::config::DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

/// Builds the schema; the services are available to every resolver.
pub fn build_schema(services: Option<SchemaServices>, limits: QueryLimits) -> ChancerySchema {
    build_schema_with(services, limits, |builder| builder)
}

/// `build_schema`, letting `customize` add extensions (tracing, fault injection) before it is finished.
pub fn build_schema_with(
    services: Option<SchemaServices>,
    limits: QueryLimits,
    customize: impl FnOnce(ChancerySchemaBuilder) -> ChancerySchemaBuilder,
) -> ChancerySchema {
    let mut builder = Schema::build(Query::default(), Mutation::default(), subscription::Subscription)
        .extension(guards::RequestGuards {
            limits: limits::ComplexityAndDepth { max_complexity: limits.max_complexity, max_depth: limits.max_depth },
            max_response_bytes: limits.max_response_bytes,
        })
        // The library's descriptions of these scalars speak of Rust types and format strings.
        .override_output_type_description::<chrono::DateTime<chrono::Utc>>(DATE_TIME_DESCRIPTION);
    if !limits.introspection {
        builder = builder.disable_introspection();
    }
    if !limits.suggestions {
        builder = builder.disable_suggestions();
    }
    if let Some(services) = services {
        builder = builder.data(services.db).data(services.tokens).data(services.throttle).data(services.live);
    }
    customize(builder).finish()
}

/// What clients read about the `DateTime` scalar (async-graphql adds its
/// `@specifiedBy(url: "https://datatracker.ietf.org/doc/html/rfc3339")`).
const DATE_TIME_DESCRIPTION: &str = "An instant, as an RFC 3339 date and time with a time zone offset, e.g. \
`2025-02-12T14:30:00+00:00`. Chancery answers in UTC (`+00:00`, with fractions of a second when it has \
them); any offset is accepted as input.";

/// The SDL of the schema, as committed in `schema.graphql`, with `@specifiedBy` on the scalars
/// that have a specification.
pub fn sdl() -> String {
    build_schema(None, QueryLimits::default())
        .sdl_with_options(async_graphql::SDLExportOptions::new().include_specified_by())
}
