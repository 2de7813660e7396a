//! Lists of facts: the one runner behind `facts`, `Actor.facts`, `Source.facts`, `myFacts` and
//! the review queue, which reads a page and then loads, for the whole page at once, every
//! relation the query selects. It deals in rows, not in `graph` objects, so that the objects
//! that list facts (`Actor`, `Source`) can use it without an import loop.
use std::collections::HashSet;

use async_graphql::Context;
use entity::fact;

use super::input::{FactFilterInput, FactOrderInput};
use crate::domain::fact::query::{list_facts, FactFilter, FactOrder, ValidFactFilter, Visibility};
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

/// Runs a public fact list query; shared by `facts`, `Actor.facts` and `Source.facts`.
#[allow(clippy::too_many_arguments)]
pub async fn fact_connection(
    ctx: &Context<'_>,
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
    let filter = filter.unwrap_or_default().into_domain(db, "filter").await?.scoped(scope);
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
    let page = list_facts(ctx.db(), visibility, &filter, order, &page).await?;
    prefetch_fact_parts(ctx, &page.items).await?;
    Ok(FactPage { page, order, total: Total::Facts { visibility, filter: Box::new(filter) } })
}

/// Whether the connection's query selects `path` below its facts (via `nodes` or `edges.node`).
fn selects(ctx: &Context<'_>, path: &[&str]) -> bool {
    let look_ahead = ctx.look_ahead();
    [look_ahead.field("nodes"), look_ahead.field("edges").field("node")].into_iter().any(|mut field| {
        for name in path {
            field = field.field(name);
        }
        field.exists()
    })
}

/// Loads, level by level, every relation the query selects for the whole page at once, so the
/// per-fact resolvers find them in the loaders' caches. The DataLoaders alone would batch only
/// the keys that arrive within their delay, which makes the statement count of a page depend on
/// timing; this makes it one statement per relation, whatever the page size.
pub async fn prefetch_fact_parts(ctx: &Context<'_>, facts: &[fact::Model]) -> Result<()> {
    if facts.is_empty() {
        return Ok(());
    }
    let loaders = ctx.loaders();
    let ids: Vec<_> = facts.iter().map(|f| f.id).collect();
    if selects(ctx, &["kind"]) {
        let keys: HashSet<_> = facts.iter().map(|f| f.kind_key.clone()).collect();
        loaders.kinds.load_many(keys).await.map_err(loader_error)?;
    }
    let want_links = selects(ctx, &["supersedes"]) || selects(ctx, &["supersededBy"]);
    if want_links {
        let linked: HashSet<_> = facts.iter().flat_map(|f| [f.supersedes_id, f.superseded_by_id]).flatten().collect();
        loaders.facts.load_many(linked).await.map_err(loader_error)?;
    }
    if selects(ctx, &["qualifiers"]) {
        loaders.qualifiers.load_many(ids.iter().copied()).await.map_err(loader_error)?;
    }
    let mut actor_ids = HashSet::new();
    if selects(ctx, &["participants"]) {
        let participants = loaders.participants.load_many(ids.iter().copied()).await.map_err(loader_error)?;
        if selects(ctx, &["participants", "actor"]) {
            actor_ids.extend(participants.values().flatten().map(|p| p.actor_id));
        }
    }
    let mut source_ids = HashSet::new();
    if selects(ctx, &["citations"]) || selects(ctx, &["outletCount"]) {
        let citations = loaders.citations.load_many(ids.iter().copied()).await.map_err(loader_error)?;
        let citations: Vec<_> = citations.values().flatten().collect();
        if selects(ctx, &["citations", "attributedTo"]) {
            actor_ids.extend(citations.iter().filter_map(|c| c.attributed_to_id));
        }
        if selects(ctx, &["citations", "relayedFrom"]) {
            actor_ids.extend(citations.iter().filter_map(|c| c.relayed_from_id));
        }
        if selects(ctx, &["citations", "source"]) || selects(ctx, &["outletCount"]) {
            source_ids.extend(citations.iter().map(|c| c.source_id));
        }
    }
    if !source_ids.is_empty() {
        let sources = loaders.sources.load_many(source_ids).await.map_err(loader_error)?;
        if selects(ctx, &["citations", "source", "outlet"]) {
            actor_ids.extend(sources.values().filter_map(|s| s.outlet_id));
        }
    }
    if !actor_ids.is_empty() {
        let wants_aliases = selects(ctx, &["participants", "actor", "aliases"])
            || selects(ctx, &["citations", "source", "outlet", "aliases"])
            || selects(ctx, &["citations", "attributedTo", "aliases"])
            || selects(ctx, &["citations", "relayedFrom", "aliases"]);
        if wants_aliases {
            loaders.aliases.load_many(actor_ids.iter().copied()).await.map_err(loader_error)?;
        }
        loaders.actors.load_many(actor_ids).await.map_err(loader_error)?;
    }
    Ok(())
}
