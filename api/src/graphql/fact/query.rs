//! Reading facts: the public list, one fact, and for reviewers the review queue and the
//! differences between two versions.
use async_graphql::{Context, Object, Union, ID};

use super::input::{FactFilterInput, FactOrderInput};
use super::list::{
    fact_connection, prefetch_fact_parts, public_fact_as_of, readable_fact_with_parts, FactsAt, KindsRead,
};
use crate::domain::fact::evidence::{list_pending_citations, pending_cursor_of};
use crate::domain::fact::history::{diff_snapshots, revisions_of};
use crate::domain::fact::query::Visibility;
use crate::domain::fact::review_queue::{list_review_queue, queue_cursor_of, QueueEntry};
use crate::domain::fact::workflow::find_fact;
use crate::domain::ids::FactId;
use crate::domain::DomainError;
use crate::graphql::connection::{page_request, Connection, ListNode, Total};
use crate::graphql::context::{ContextExt, Required};
use crate::graphql::error::Result;
use crate::graphql::graph::{Citation, CitationConnection, Fact, FactConnection, FieldChange};
use crate::graphql::ids;
use crate::graphql::scalars::AsOfArgument;

#[derive(Default)]
pub struct FactQuery;

#[Object]
impl FactQuery {
    /// Facts matching `filter`, sorted by `orderBy` (default: occurred, newest first), as a Relay
    /// connection. `first`/`last` default to 20 and may not exceed 100.
    ///
    /// With `asOf`, the public record as it stood at that moment, rebuilt from the revision log:
    /// the facts published by then, each with the status, supersession and evidence it had
    /// then (a fact retracted later reads PUBLISHED, a citation added later is missing, one
    /// withdrawn later is ACTIVE). Drafts and facts in review never appear. Participants and
    /// qualifiers are those of today (a published claim is never edited; a merge of actors shows
    /// the actor kept); sources and actors, and the facts listed under them, are shown as they
    /// are now. `orderBy`, paging, `totalCount` and the filters on the claim (kinds, categories,
    /// actors, country, dates, statuses) work as without it; the filters on evidence
    /// (`sources`, `outlets`, `verifiedOnly`) and `search` (which covers quotes) are refused
    /// (BAD_USER_INPUT naming them), as they match today's citations. A moment before the first
    /// publication gives an empty list; a moment in the future gives the record as it stands
    /// now, which is not final. Cost: the page's query also reads the revision log's index of
    /// publications (and retractions and supersessions) up to that moment, and two more
    /// statements, whatever the page's size, rebuild its facts from their snapshots.
    #[graphql(
        complexity = "crate::graphql::fact::list::fact_page_cost(filter.as_ref(), first, last, child_complexity)"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn facts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to include.")] filter: Option<FactFilterInput>,
        #[graphql(desc = "How to sort.")] order_by: Option<FactOrderInput>,
        #[graphql(desc = "Page size from the start (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to continue before.")] before: Option<String>,
        #[graphql(desc = "Read the public record as it stood at this moment (see above); null or absent: now.")]
        as_of: Option<AsOfArgument>,
    ) -> Result<FactConnection> {
        let at = as_of.map(|AsOfArgument(at)| at);
        Ok(fact_connection(ctx, at, filter, order_by, first, after, last, before, |_| {}).await?.into())
    }

    /// One fact by its global id; null when it does not exist or is not visible to the caller.
    ///
    /// With `asOf`, the fact as the public saw it at that moment, rebuilt from the revision log
    /// as `facts(asOf:)` does (see there for what is today's and what the cost is); null when it
    /// was not public then (not yet published, or a draft or in review), whoever asks.
    async fn fact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of a Fact.")] id: ID,
        #[graphql(desc = "Read the fact as it stood at this moment; null or absent: now.")] as_of: Option<AsOfArgument>,
    ) -> Result<Option<Fact>> {
        let id = ids::decode_uuid(&id, ids::FACT, "id")?;
        match as_of {
            Some(AsOfArgument(at)) => Ok(public_fact_as_of(ctx, id, at).await?.map(|then| Fact::from((then, at)))),
            None => Ok(readable_fact_with_parts(ctx, id).await?.map(Fact::from)),
        }
    }
}

#[derive(Default)]
pub struct ReviewQuery;

#[Object]
impl ReviewQuery {
    /// Reviewers and admins: everything waiting for a decision, longest waiting first: facts
    /// in review (each fact's `changesSinceLastReview` shows what to look at; a correction's,
    /// what it changes in the fact it corrects) and citations proposed for published facts (each
    /// with its fact and its quote's place in the snapshot, `quoteInContext`). `filter` selects
    /// the facts, and the pending citations of the facts it matches.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn review_queue(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which facts (and pending citations of which facts).")] filter: Option<FactFilterInput>,
        #[graphql(desc = "Page size from the start (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to continue before.")] before: Option<String>,
    ) -> Result<ReviewItemConnection> {
        ctx.require_role(Required::Reviewer, "only reviewers and admins see the review queue")?;
        let page = page_request(first, after, last, before)?;
        let filter = filter.unwrap_or_default().into_domain(ctx.db(), "filter").await?;
        filter.check_statuses(Visibility::InReview, "filter")?;
        let page = list_review_queue(ctx.db(), &filter, &page).await?;
        let facts = page.items.iter().filter_map(|entry| match entry {
            QueueEntry::Fact(fact) => Some(fact),
            QueueEntry::Citation(_) => None,
        });
        prefetch_fact_parts(ctx, FactsAt::Connection, facts, KindsRead::No).await?;
        let item = |entry| match entry {
            QueueEntry::Fact(fact) => ReviewItem::Fact(Fact::from(fact)),
            QueueEntry::Citation(citation) => ReviewItem::Citation(Citation(citation)),
        };
        Ok(Connection::new(page, queue_cursor_of, item, Total::ReviewQueue(Box::new(filter))))
    }

    /// Reviewers, admins and the fact's author: the fields that differ between two versions.
    async fn revision_diff(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Fact.")] fact: ID,
        #[graphql(desc = "The earlier version.")] from_version: i32,
        #[graphql(desc = "The later version.")] to_version: i32,
    ) -> Result<Vec<FieldChange>> {
        let principal = ctx.require_principal()?;
        let id = ids::decode::<FactId>(&fact, "fact")?;
        let current = find_fact(ctx.db(), principal, id).await?;
        let id = id.0;
        if !(principal.can_review() || principal.user_id == current.created_by) {
            return Err(DomainError::Forbidden("only reviewers, admins and the author see diffs".into()).into());
        }
        let revisions = revisions_of(ctx.db(), id).await?;
        let snapshot_at = |version: i32, field: &str| {
            revisions
                .iter()
                .rev()
                .find(|r| r.fact_version == version)
                .map(|r| r.snapshot.clone())
                .ok_or_else(|| DomainError::invalid(field, format!("the fact has no version {version}")))
        };
        let before = snapshot_at(from_version, "fromVersion")?;
        let after = snapshot_at(to_version, "toVersion")?;
        Ok(diff_snapshots(Some(&before), &after).into_iter().map(FieldChange::from).collect())
    }

    /// Reviewers and admins: citations proposed for published facts, waiting for a decision,
    /// oldest first. Each shows its fact (`fact`) and its place in the snapshot
    /// (`quoteInContext`).
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn pending_citations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to continue before.")] before: Option<String>,
    ) -> Result<CitationConnection> {
        ctx.require_role(Required::Reviewer, "only reviewers and admins see pending citations")?;
        let page = page_request(first, after, last, before)?;
        let page = list_pending_citations(ctx.db(), &page).await?;
        Ok(Connection::new(page, pending_cursor_of, Citation, Total::PendingCitations))
    }
}

/// Something waiting for a reviewer's decision: a fact in review, or a citation proposed as
/// further evidence of a published fact.
#[derive(Union, Clone)]
pub enum ReviewItem {
    Fact(Fact),
    Citation(Citation),
}

impl ListNode for ReviewItem {
    const NAME: &'static str = "ReviewItem";
}

/// A page of the review queue.
pub type ReviewItemConnection = Connection<ReviewItem>;
