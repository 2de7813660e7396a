//! `Query.changes`: the public change feed (see `domain::feed` for why its order is safe to tail).
use async_graphql::{Context, Enum, Object, ID};
use chrono::{DateTime, Utc};

use super::actor::actor_following_merges;
use super::connection::{page_request, Connection, ListNode, Total};
use super::context::ContextExt;
use super::error::Result;
use super::graph::{visible_fact, visible_source, Fact};
use super::ids;
use super::node::Node;
use crate::domain::feed::{self, ChangeKind};
use crate::domain::ids::{ActorId, FactId, SourceId};

/// What happened, publicly.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ChangeType {
    /// A reviewer approved a fact: it is published.
    FactPublished,
    /// A published fact was retracted.
    FactRetracted,
    /// A published correction replaced a fact (`correction` names it).
    FactSuperseded,
    /// A further citation of a published fact was approved.
    CitationAdded,
    /// A citation of a published fact was withdrawn.
    CitationWithdrawn,
    /// An actor was merged into another (`subject` is the one kept; `mergedActorId` the other).
    ActorMerged,
    /// A source that public facts cite was changed (its title, outlet, date, or snapshot).
    SourceUpdated,
}

impl From<ChangeKind> for ChangeType {
    fn from(kind: ChangeKind) -> Self {
        match kind {
            ChangeKind::FactPublished => Self::FactPublished,
            ChangeKind::FactRetracted => Self::FactRetracted,
            ChangeKind::FactSuperseded => Self::FactSuperseded,
            ChangeKind::CitationAdded => Self::CitationAdded,
            ChangeKind::CitationWithdrawn => Self::CitationWithdrawn,
            ChangeKind::ActorMerged => Self::ActorMerged,
            ChangeKind::SourceUpdated => Self::SourceUpdated,
        }
    }
}

/// One public event of the record.
#[derive(Clone)]
pub struct Change(feed::Change);

impl ListNode for Change {
    const NAME: &'static str = "Change";
}

/// One public event of the record: what happened, when, and to what. It names no editor or
/// reviewer.
#[Object]
impl Change {
    /// What happened.
    async fn r#type(&self) -> ChangeType {
        self.0.kind.into()
    }
    /// When it was committed.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// Global id of the fact, actor or source it concerns.
    async fn subject_id(&self) -> ID {
        match self.0.kind {
            ChangeKind::ActorMerged => ids::global(ActorId(self.0.subject_id)),
            ChangeKind::SourceUpdated => ids::global(SourceId(self.0.subject_id)),
            _ => ids::global(FactId(self.0.subject_id)),
        }
    }
    /// The fact, actor or source it concerns, as it is now (a merged actor's successor; null
    /// only for a source no public fact cites any longer).
    async fn subject(&self, ctx: &Context<'_>) -> Result<Option<Node>> {
        Ok(match self.0.kind {
            ChangeKind::ActorMerged => actor_following_merges(ctx, ActorId(self.0.subject_id)).await?.map(Node::Actor),
            ChangeKind::SourceUpdated => visible_source(ctx, self.0.subject_id).await?.map(Node::Source),
            _ => visible_fact(ctx, Some(self.0.subject_id)).await?.map(Node::Fact),
        })
    }
    /// For `FACT_SUPERSEDED`: the published correction that replaced the fact.
    async fn correction(&self, ctx: &Context<'_>) -> Result<Option<Fact>> {
        correction_of(ctx, &self.0).await
    }
    /// For `ACTOR_MERGED`: global id of the actor merged away (it now resolves to the subject).
    async fn merged_actor_id(&self) -> Option<ID> {
        self.0.merged_actor_id.map(|id| ids::global(ActorId(id)))
    }
}

#[derive(Default)]
pub struct FeedQuery;

#[Object]
impl FeedQuery {
    /// Every public event of the record in commit order, oldest first: facts published,
    /// retracted or superseded, citations added or withdrawn, actors merged, sources of public
    /// facts changed. Read it forwards: keep the `endCursor` of the last page and pass it as
    /// `after` later to get what was committed since, each event once and in order, none
    /// skipped. (A cursor stands for a position in the revision log, whose length
    /// `historyHead` publishes.)
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, None, child_complexity)")]
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many events (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the last event already seen.")] after: Option<String>,
    ) -> Result<Connection<Change>> {
        let request = page_request(first, after, None, None)?;
        let page = feed::public_changes(ctx.db(), &request).await?;
        Ok(Connection::new(page, feed::Change::cursor, Change, Total::Changes))
    }
}

/// For a `FACT_SUPERSEDED` event, the published correction that replaced the fact; None for
/// any other event.
pub async fn correction_of(ctx: &Context<'_>, change: &feed::Change) -> Result<Option<Fact>> {
    if change.kind != ChangeKind::FactSuperseded {
        return Ok(None);
    }
    let Some(fact) = visible_fact(ctx, Some(change.subject_id)).await? else { return Ok(None) };
    visible_fact(ctx, fact.0.superseded_by_id).await
}
