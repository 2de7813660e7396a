//! Actors: states, people, organizations, outlets.
use async_graphql::{Context, InputObject, Object, ID};
use entity::actor;
use entity::enums::ActorKind;
use sea_orm::DatabaseConnection;

use super::connection::{page_request, PageInfo};
use super::error::loader_error;
use super::error::Result;
use super::facts::{fact_connection, loaders, FactConnection, FactFilterInput, FactOrderInput};
use super::ids;
use crate::domain::actor::query::{cursor_of, list_actors, ActorFilter};
use crate::domain::ids::ActorId;
use crate::domain::pagination::Page;

#[derive(Clone)]
pub struct Actor(pub actor::Model);

/// A state, person, organization, government body, armed group, international organization or media outlet.
#[Object]
impl Actor {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        ids::encode_uuid(ids::ACTOR, self.0.id)
    }
    /// Name as usually written in English.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Short description.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// What sort of actor this is.
    async fn kind(&self) -> ActorKind {
        self.0.kind
    }
    /// ISO 3166-1 alpha-2 code of the actor's country, where one applies.
    async fn country(&self) -> Option<&str> {
        self.0.country.as_deref()
    }
    /// Wikidata item id (`Q` followed by digits), when known.
    async fn wikidata_qid(&self) -> Option<&str> {
        self.0.wikidata_qid.as_deref()
    }
    /// Incremented by every change; `updateActor` must name the version it read.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Other names the actor is known by (lookup by name also matches these).
    async fn aliases(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(loaders(ctx).aliases.load_one(self.0.id).await.map_err(loader_error)?.unwrap_or_default())
    }
    /// Facts this actor takes part in, as a connection (same arguments as `Query.facts`).
    #[graphql(
        complexity = "crate::graphql::connection::fact_page_cost(filter.as_ref(), first, last, child_complexity)"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn facts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Further restrictions.")] filter: Option<FactFilterInput>,
        #[graphql(desc = "How to sort.")] order_by: Option<FactOrderInput>,
        #[graphql(desc = "Page size from the start (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to continue before.")] before: Option<String>,
    ) -> Result<FactConnection> {
        let id = self.0.id;
        fact_connection(ctx, filter, order_by, first, after, last, before, |f| f.all_of.push(ActorId(id))).await
    }
}

/// Filters over actors.
#[derive(InputObject, Default)]
pub struct ActorFilterInput {
    /// Case-insensitive part of the name or of any alias (e.g. "julani").
    pub search: Option<String>,
    /// Only these kinds of actor.
    pub kinds: Option<Vec<ActorKind>>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: Option<String>,
}

/// An edge of an actor connection.
pub struct ActorEdge(actor::Model);

/// An actor in a connection.
#[Object]
impl ActorEdge {
    /// Opaque cursor.
    async fn cursor(&self) -> String {
        cursor_of(&self.0).encode()
    }
    /// The actor.
    async fn node(&self) -> Actor {
        Actor(self.0.clone())
    }
}

pub struct ActorConnection(Page<actor::Model>);

/// A page of actors sorted by name (Relay connection).
#[Object]
impl ActorConnection {
    /// The actors of this page with their cursors.
    async fn edges(&self) -> Vec<ActorEdge> {
        self.0.items.iter().cloned().map(ActorEdge).collect()
    }
    /// The actors of this page.
    async fn nodes(&self) -> Vec<Actor> {
        self.0.items.iter().cloned().map(Actor).collect()
    }
    /// Where this page sits in the list.
    async fn page_info(&self) -> PageInfo {
        PageInfo::of(&self.0, cursor_of)
    }
}

#[derive(Default)]
pub struct ActorQuery;

#[Object]
impl ActorQuery {
    /// Actors matching `filter`, sorted by name.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn actors(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to include.")] filter: Option<ActorFilterInput>,
        #[graphql(desc = "Page size from the start (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to continue before.")] before: Option<String>,
    ) -> Result<ActorConnection> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let page = page_request(first, after, last, before)?;
        let input = filter.unwrap_or_default();
        let filter =
            ActorFilter { search: input.search, kinds: input.kinds.unwrap_or_default(), country: input.country };
        filter.validate("filter")?;
        Ok(ActorConnection(list_actors(db, &filter, &page).await?))
    }

    /// One actor by its global id; null when there is none.
    async fn actor(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of an Actor.")] id: ID,
    ) -> Result<Option<Actor>> {
        let id = ids::decode_uuid(&id, ids::ACTOR, "id")?;
        Ok(loaders(ctx).actors.load_one(id).await.map_err(loader_error)?.map(Actor))
    }
}
