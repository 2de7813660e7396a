//! Lists of facts: the one runner behind `facts`, `Actor.facts`, `Source.facts`, `myFacts` and
//! the review queue, which reads a page and then loads, for the whole page at once, every
//! relation the query selects. It deals in rows, not in `graph` objects, so that the objects
//! that list facts (`Actor`, `Source`) can use it without an import loop.
use std::collections::{HashMap, HashSet};

use async_graphql::Context;
use chrono::{DateTime, Utc};
use entity::{citation, fact};
use uuid::Uuid;

use super::input::{FactFilterInput, FactOrderInput};
use crate::domain::actor::query::{actors_by_ids, aliases_of};
use crate::domain::fact::as_of::{facts_as_of, rebuild_as_of, FactAsOf};
use crate::domain::fact::parts::{
    parts_of_facts, CitationsWithSources, FactParts, ParticipantsWithActors, PartsWanted,
};
use crate::domain::fact::query::{
    facts_by_ids, list_facts, qualifiers_of, FactFilter, FactOrder, FactsPage, ValidFactFilter, Visibility,
};
use crate::domain::fact::workflow::can_read;
use crate::domain::pagination::{Page, PageRequest};
use crate::graphql::connection::{page_cost, page_request, Total};
use crate::graphql::context::ContextExt;
use crate::graphql::cost::ALL_OF_ACTOR_COST;
use crate::graphql::error::{loader_error, Result};

/// A page of facts as read, before it becomes a `FactConnection` (in `graph`).
pub struct FactPage {
    pub page: Page<fact::Model>,
    pub order: FactOrder,
    pub total: Total,
    /// For a page of the record as it stood at a past moment, that moment and each fact's
    /// evidence then (the rows in `page` are already as they stood).
    pub as_of: Option<PastEvidence>,
}

/// The moment an "as of" page was read at, and each of its facts' citations then.
pub struct PastEvidence {
    pub at: DateTime<Utc>,
    pub citations: HashMap<Uuid, Vec<citation::Model>>,
}

/// The complexity of a list of facts: a page's cost, plus the grouped query that "all of these
/// actors" needs, which grows with the number of actors (each may take part in a great many
/// facts).
pub fn fact_page_cost(
    filter: Option<&FactFilterInput>,
    first: Option<i32>,
    last: Option<i32>,
    child_complexity: usize,
) -> usize {
    let all_of = filter.and_then(|f| f.all_of.as_ref()).map_or(0, Vec::len);
    page_cost(first, last, child_complexity).saturating_add(all_of.saturating_mul(ALL_OF_ACTOR_COST))
}

/// Runs a public fact list query; shared by `facts`, `Actor.facts` and `Source.facts`. With
/// `as_of` (`facts(asOf:)`), the public record as it stood at that moment, rebuilt from the
/// revision log (`domain::fact::as_of`), filtered, ordered and paged as the present one is.
#[allow(clippy::too_many_arguments)]
pub async fn fact_connection(
    ctx: &Context<'_>,
    as_of: Option<DateTime<Utc>>,
    filter: Option<FactFilterInput>,
    order_by: Option<FactOrderInput>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
    scope: impl FnOnce(&mut FactFilter),
) -> Result<FactPage> {
    let db = ctx.db();
    let page = page_request(first, after, last, before)?;
    let mut filter = filter.unwrap_or_default().into_domain(db, "filter").await?.scoped(scope);
    if let Some(at) = as_of {
        filter = filter.as_of(at, "filter")?;
    }
    run_fact_query(ctx, Visibility::Public, filter, order_by.unwrap_or_default().into(), page).await
}

/// Runs a fact list query over the facts of `visibility` in a fixed order.
#[allow(clippy::too_many_arguments)]
pub async fn fact_connection_in(
    ctx: &Context<'_>,
    visibility: Visibility,
    filter: Option<FactFilterInput>,
    order: FactOrder,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<FactPage> {
    let db = ctx.db();
    let page = page_request(first, after, last, before)?;
    let filter = filter.unwrap_or_default().into_domain(db, "filter").await?;
    run_fact_query(ctx, visibility, filter, order, page).await
}

async fn run_fact_query(
    ctx: &Context<'_>,
    visibility: Visibility,
    filter: ValidFactFilter,
    order: FactOrder,
    page: PageRequest,
) -> Result<FactPage> {
    filter.check_statuses(visibility, "filter")?;
    let FactsPage { mut page, kinds } = list_facts(ctx.db(), visibility, &filter, order, &page).await?;
    let loaders = ctx.loaders();
    loaders.kinds.feed_many(kinds.into_iter().map(|kind| (kind.key.clone(), kind))).await;
    let moment = filter.moment();
    let as_of = match moment {
        Some(at) => {
            // The filter kept the facts public at `at` only, so every one is rebuilt.
            let mut rebuilt = rebuild_as_of(ctx.db(), &page.items, at).await?;
            let mut citations = HashMap::new();
            page.items = std::mem::take(&mut page.items)
                .into_iter()
                .filter_map(|fact| rebuilt.remove(&fact.id))
                .map(|then| {
                    citations.insert(then.fact.id, then.citations);
                    then.fact
                })
                .collect();
            Some(PastEvidence { at, citations })
        }
        None => None,
    };
    prefetch_parts(ctx, FactsAt::Connection, page.items.iter(), KindsRead::Yes, moment).await?;
    Ok(FactPage { page, order, total: Total::Facts { visibility, filter: Box::new(filter) }, as_of })
}

/// Where the facts whose parts to prefetch are in the field being resolved.
#[derive(Debug, Clone, Copy)]
pub enum FactsAt {
    /// A connection's `nodes` or `edges.node`.
    Connection,
    /// The field itself (one fact).
    Field,
}

/// Whether the facts' kinds were read with them (by `list_facts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindsRead {
    Yes,
    No,
}

/// Whether the query selects `path` below the facts at `at`.
fn selects(ctx: &Context<'_>, at: FactsAt, path: &[&str]) -> bool {
    let look_ahead = ctx.look_ahead();
    let bases = match at {
        FactsAt::Connection => vec![look_ahead.field("nodes"), look_ahead.field("edges").field("node")],
        FactsAt::Field => vec![look_ahead],
    };
    bases.into_iter().any(|mut field| {
        for name in path {
            field = field.field(name);
        }
        field.exists()
    })
}

/// Reads every relation the query selects for the given facts at once and puts it in the
/// request's loaders, so that the per-fact resolvers find it there: one statement for the
/// participants with their actors and the citations with their sources and outlets, whatever
/// the number of facts, and no DataLoader wait between the levels of the query.
pub async fn prefetch_fact_parts<'a>(
    ctx: &Context<'_>,
    at: FactsAt,
    facts: impl IntoIterator<Item = &'a fact::Model>,
    kinds_read: KindsRead,
) -> Result<()> {
    prefetch_parts(ctx, at, facts, kinds_read, None).await
}

/// `prefetch_fact_parts` for facts as they stood at `moment` (when given): the facts they
/// link to (`supersedes`, `supersededBy`) are read as they stood then too. Participants and
/// qualifiers never change once a fact is published, and today's citations with their sources
/// include every one a fact ever had, so those are read as for today's facts.
async fn prefetch_parts<'a>(
    ctx: &Context<'_>,
    at: FactsAt,
    facts: impl IntoIterator<Item = &'a fact::Model>,
    kinds_read: KindsRead,
    moment: Option<DateTime<Utc>>,
) -> Result<()> {
    let facts: Vec<&fact::Model> = facts.into_iter().collect();
    if facts.is_empty() {
        return Ok(());
    }
    let (db, loaders) = (ctx.db(), ctx.loaders());
    let selects = |path: &[&str]| selects(ctx, at, path);
    let ids: Vec<_> = facts.iter().map(|f| f.id).collect();
    if kinds_read == KindsRead::No && selects(&["kind"]) {
        let keys: HashSet<_> = facts.iter().map(|f| f.kind_key.clone()).collect();
        loaders.kinds.load_many(keys).await.map_err(loader_error)?;
    }
    if selects(&["supersedes"]) || selects(&["supersededBy"]) {
        let linked: Vec<_> = facts.iter().flat_map(|f| [f.supersedes_id, f.superseded_by_id]).flatten().collect();
        match moment {
            _ if linked.is_empty() => {}
            Some(moment) => {
                let then = facts_as_of(db, &linked, moment).await?;
                loaders.facts_as_of.feed_many(then.into_iter().map(|(id, fact)| ((id, moment), fact))).await;
            }
            None => loaders.facts.feed_many(facts_by_ids(db, &linked).await?).await,
        }
    }
    if selects(&["qualifiers"]) {
        loaders.qualifiers.feed_many(qualifiers_of(db, &ids).await?).await;
    }
    let wanted = PartsWanted {
        participants: selects(&["participants"]),
        citations: selects(&["citations"]) || selects(&["outletCount"]),
    };
    let FactParts { participants, citations } = parts_of_facts(db, &ids, wanted).await?;
    let mut actors = Vec::new();
    if let Some(ParticipantsWithActors { participants, actors: named }) = participants {
        loaders.participants.feed_many(participants).await;
        actors.extend(named);
    }
    let mut more_actors = HashSet::new();
    if let Some(CitationsWithSources { citations, sources, outlets }) = citations {
        for citation in citations.values().flatten() {
            if selects(&["citations", "attributedTo"]) {
                more_actors.extend(citation.attributed_to_id);
            }
            if selects(&["citations", "relayedFrom"]) {
                more_actors.extend(citation.relayed_from_id);
            }
        }
        loaders.citations.feed_many(citations).await;
        loaders.sources.feed_many(sources.into_iter().map(|source| (source.id, source))).await;
        actors.extend(outlets);
    }
    for actor in &actors {
        more_actors.remove(&actor.id);
    }
    let wants_aliases = selects(&["participants", "actor", "aliases"])
        || selects(&["citations", "source", "outlet", "aliases"])
        || selects(&["citations", "attributedTo", "aliases"])
        || selects(&["citations", "relayedFrom", "aliases"]);
    let mut actor_ids: Vec<_> = actors.iter().map(|a| a.id).collect();
    loaders.actors.feed_many(actors.into_iter().map(|actor| (actor.id, actor))).await;
    if !more_actors.is_empty() {
        let more_actors: Vec<_> = more_actors.into_iter().collect();
        actor_ids.extend(more_actors.iter().copied());
        loaders.actors.feed_many(actors_by_ids(db, &more_actors).await?).await;
    }
    if wants_aliases && !actor_ids.is_empty() {
        actor_ids.sort_unstable();
        actor_ids.dedup();
        loaders.aliases.feed_many(aliases_of(db, &actor_ids).await?).await;
    }
    Ok(())
}

/// One fact as the public saw it at `at` (null when it was not public then), with the parts
/// the query selects below the field being resolved, read as an "as of" page's are.
pub async fn public_fact_as_of(ctx: &Context<'_>, id: Uuid, at: DateTime<Utc>) -> Result<Option<FactAsOf>> {
    let found = ctx.loaders().facts_as_of.load_one((id, at)).await.map_err(loader_error)?;
    if let Some(then) = &found {
        prefetch_parts(ctx, FactsAt::Field, [&then.fact], KindsRead::No, Some(at)).await?;
    }
    Ok(found)
}

/// One fact by id when the caller may read it, with the parts the query selects below the field
/// being resolved (`fact`, `node`), read as a page's are.
pub async fn readable_fact_with_parts(ctx: &Context<'_>, id: Uuid) -> Result<Option<fact::Model>> {
    let found = facts_by_ids(ctx.db(), &[id]).await?.remove(&id).filter(|fact| can_read(ctx.principal(), fact));
    if let Some(fact) = &found {
        ctx.loaders().facts.feed_one(fact.id, fact.clone()).await;
        prefetch_fact_parts(ctx, FactsAt::Field, [fact], KindsRead::No).await?;
    }
    Ok(found)
}
