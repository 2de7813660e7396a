//! Actors in the API: lists and lookups, and the editorial writes (creating and revising an
//! actor), which go through `domain::actor::store`. The `Actor` object is in `graph`.
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use entity::enums::ActorKind;

use crate::domain::actor::query::{cursor_of, list_actors, resolve_redirect, ActorFilter};
use crate::domain::actor::{store as actor_store, ActorInput as DomainActorInput};
use crate::domain::ids::ActorId;
use crate::graphql::connection::{page_request, Connection, Total};
use crate::graphql::context::{idempotency_key_for, ContextExt, Required};
use crate::graphql::error::{loader_error, Result};
use crate::graphql::graph::{Actor, ActorConnection};
use crate::graphql::ids;

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
        let page = page_request(first, after, last, before)?;
        let input = filter.unwrap_or_default();
        let filter =
            ActorFilter { search: input.search, kinds: input.kinds.unwrap_or_default(), country: input.country };
        filter.validate("filter")?;
        let page = list_actors(ctx.db(), &filter, &page).await?;
        Ok(Connection::new(page, cursor_of, Actor, Total::Actors(filter)))
    }

    /// One actor by its global id; null when there is none.
    async fn actor(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of an Actor.")] id: ID,
    ) -> Result<Option<Actor>> {
        let id = ids::decode::<ActorId>(&id, "id")?;
        actor_following_merges(ctx, id).await
    }
}

/// The actor `id` names, or the one it was merged into.
pub async fn actor_following_merges(ctx: &Context<'_>, id: ActorId) -> Result<Option<Actor>> {
    if let Some(found) = ctx.loaders().actors.load_one(id.0).await.map_err(loader_error)? {
        return Ok(Some(Actor(found)));
    }
    let target = resolve_redirect(ctx.db(), id.0).await?;
    if target == id.0 {
        return Ok(None);
    }
    Ok(ctx.loaders().actors.load_one(target).await.map_err(loader_error)?.map(Actor))
}

/// An actor as an editor describes it.
#[derive(InputObject, Debug)]
pub struct ActorInput {
    /// Name as usually written in English (1–200 characters).
    pub name: String,
    /// Short description (at most 2000 characters).
    pub description: Option<String>,
    /// What sort of actor this is.
    pub kind: ActorKind,
    /// ISO 3166-1 alpha-2 code, where one applies.
    pub country: Option<String>,
    /// Wikidata item id such as `Q858`; unique across actors.
    pub wikidata_qid: Option<String>,
    /// Other names the actor is known by (at most 50).
    #[graphql(default)]
    pub aliases: Vec<String>,
}

impl From<ActorInput> for DomainActorInput {
    fn from(input: ActorInput) -> Self {
        Self {
            name: input.name,
            description: input.description,
            kind: input.kind,
            country: input.country,
            wikidata_qid: input.wikidata_qid,
            aliases: input.aliases,
        }
    }
}

#[derive(Default)]
pub struct ActorMutation;

#[Object]
impl ActorMutation {
    /// Records a new actor.
    async fn create_actor(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The actor, and a key that makes retries safe.")] input: CreateActorInput,
    ) -> Result<CreateActorPayload> {
        let principal = ctx.require_principal()?;
        let actor = DomainActorInput::from(input.actor);
        let key = idempotency_key_for(principal, "createActor", input.idempotency_key, &actor)?;
        Ok(CreateActorPayload {
            actor: Actor(actor_store::create_actor(ctx.db(), ActorId::generate(), actor, key).await?),
        })
    }

    /// Replaces an actor's description; `expectedVersion` is the version you read (CONFLICT if stale).
    async fn update_actor(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The actor, the version read, and its new description.")] input: UpdateActorInput,
    ) -> Result<UpdateActorPayload> {
        ctx.require_principal()?;
        let id = ids::decode::<ActorId>(&input.id, "id")?;
        let updated = actor_store::update_actor(ctx.db(), id, input.expected_version, input.actor.into()).await?;
        Ok(UpdateActorPayload { actor: Actor(updated) })
    }

    /// Admins: merges a duplicate actor into the one kept. Its facts, citations and sources
    /// move to the kept actor, its name and aliases become aliases, and its global id keeps
    /// answering `actor(id)` and `node(id)` with the kept actor. Both versions are the ones read.
    async fn merge_actors(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The actor kept, the duplicate, and the versions read.")] input: MergeActorsInput,
    ) -> Result<MergeActorsPayload> {
        let principal = ctx.require_role(Required::Admin, "only an admin may merge actors")?;
        let keep = ids::decode::<ActorId>(&input.keep_id, "keepId")?;
        let merge = ids::decode::<ActorId>(&input.merge_id, "mergeId")?;
        let versions = input.expected_versions;
        let kept = actor_store::merge_actors(ctx.db(), principal, keep, merge, versions.keep, versions.merge).await?;
        Ok(MergeActorsPayload { actor: Actor(kept) })
    }
}

/// A new actor, and a key that makes retries safe.
#[derive(InputObject)]
pub struct CreateActorInput {
    /// The actor.
    #[graphql(flatten)]
    pub actor: ActorInput,
    /// Makes retries safe: the same key and input return the first result.
    pub idempotency_key: Option<String>,
}

/// A new description of an actor, based on the version read.
#[derive(InputObject)]
pub struct UpdateActorInput {
    /// Global id of the Actor.
    pub id: ID,
    /// The version the change is based on (CONFLICT if stale).
    pub expected_version: i32,
    /// The new description.
    #[graphql(flatten)]
    pub actor: ActorInput,
}

/// What `createActor` did.
#[derive(SimpleObject)]
pub struct CreateActorPayload {
    /// The new actor (or, on a retry with the same key, the one first created).
    pub actor: Actor,
}

/// What `updateActor` did.
#[derive(SimpleObject)]
pub struct UpdateActorPayload {
    /// The actor with its new description and version.
    pub actor: Actor,
}

/// The versions of the two actors a merge is based on.
#[derive(InputObject)]
pub struct MergeVersions {
    /// The version of the actor kept.
    pub keep: i32,
    /// The version of the duplicate.
    pub merge: i32,
}

/// A merge of a duplicate actor into another.
#[derive(InputObject)]
pub struct MergeActorsInput {
    /// Global id of the Actor kept.
    pub keep_id: ID,
    /// Global id of the duplicate, merged into it.
    pub merge_id: ID,
    /// The versions both were read at.
    pub expected_versions: MergeVersions,
}

/// What `mergeActors` did.
#[derive(SimpleObject)]
pub struct MergeActorsPayload {
    /// The kept actor, with the duplicate's names among its aliases.
    pub actor: Actor,
}
