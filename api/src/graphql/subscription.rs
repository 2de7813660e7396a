//! `Subscription`: the public record's fact events, and the review queue for reviewers, as they
//! happen. Both read from the process's live tail (`crate::live`); this module only selects,
//! resumes and maps. The WebSocket transport is `http::subscriptions`.
use async_graphql::{Context, Enum, InputObject, Object, Subscription, ID};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::context::{ContextExt, Required};
use super::error::{subscriber_lagged, ApiError, Result};
use super::fact::query::ReviewItem;
use super::feed::ChangeType;
use super::graph::{visible_fact, Citation, Fact};
use super::ids;
use crate::domain::fact::review_queue::QueueMember;
use crate::domain::feed::{self, faceted_changes_after, FacetedChange, FactEventSelection};
use crate::domain::ids::{ActorId, CitationId, FactId};
use crate::domain::{DomainError, Violations};
use crate::live::{LiveEvent, LiveHub};

/// Events read per statement while a subscriber catches up from its `after` cursor.
const CATCH_UP_BATCH: u64 = 100;

/// Which facts' events to receive: lists are OR within a field and AND across fields; with no
/// filter, every fact's.
#[derive(InputObject, Default)]
pub struct FactEventFilterInput {
    /// Facts in which any of these actors takes part, in any role.
    pub actors: Option<Vec<ID>>,
    /// Only these kinds (keys such as `diplomatic.phone_call`).
    pub kinds: Option<Vec<String>>,
    /// Facts in which every one of these actors takes part: "relations between Russia and Syria".
    pub all_of_actors: Option<Vec<ID>>,
}

impl FactEventFilterInput {
    async fn into_domain(self, ctx: &Context<'_>) -> Result<FactEventSelection> {
        let mut violations = Violations::new();
        let actors = ids::decode_list::<ActorId>(&self.actors.unwrap_or_default(), "filter.actors", &mut violations);
        let all_of_actors =
            ids::decode_list::<ActorId>(&self.all_of_actors.unwrap_or_default(), "filter.allOfActors", &mut violations);
        let selection = FactEventSelection {
            kinds: self.kinds.unwrap_or_default(),
            actors: actors.into_iter().map(|id| id.0).collect(),
            all_of_actors: all_of_actors.into_iter().map(|id| id.0).collect(),
        };
        Ok(selection.validate(ctx.db(), "filter", violations).await?)
    }
}

/// One public event of a fact, as it happens.
#[derive(Clone)]
pub struct FactEvent(feed::Change);

/// One public event of a fact: what happened, when, and its cursor, from which a subscriber
/// that lost its connection resumes (`factEvents(after:)`) without a gap or a repeat. The same
/// cursors as `Query.changes`.
#[Object]
impl FactEvent {
    /// The cursor just after this event.
    async fn cursor(&self) -> String {
        self.0.cursor().encode()
    }
    /// What happened.
    async fn r#type(&self) -> ChangeType {
        self.0.kind.into()
    }
    /// When it was committed.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// Global id of the fact.
    async fn fact_id(&self) -> ID {
        ids::global(FactId(self.0.subject_id))
    }
    /// The fact as it is now (for an event received while catching up, it may have changed
    /// since: its later events follow).
    async fn fact(&self, ctx: &Context<'_>) -> Result<Option<Fact>> {
        visible_fact(ctx, Some(self.0.subject_id)).await
    }
    /// For `FACT_SUPERSEDED`: the published correction that replaced the fact.
    async fn correction(&self, ctx: &Context<'_>) -> Result<Option<Fact>> {
        super::feed::correction_of(ctx, &self.0).await
    }
}

/// How the review queue changed.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ReviewQueueEventType {
    /// Submitted (or resubmitted) for review, or a citation proposed.
    Entered,
    /// Decided (approved, sent back, rejected), or withdrawn from review.
    Left,
}

/// An item entering or leaving the review queue.
pub struct ReviewQueueEvent {
    kind: ReviewQueueEventType,
    member: QueueMember,
}

/// An item entering or leaving the review queue.
#[Object]
impl ReviewQueueEvent {
    /// Whether it entered or left.
    async fn r#type(&self) -> ReviewQueueEventType {
        self.kind
    }
    /// Global id of the fact or the citation.
    async fn item_id(&self) -> ID {
        match self.member {
            QueueMember::Fact { id, .. } => ids::global(FactId(id)),
            QueueMember::Citation { id } => ids::global(CitationId(id)),
        }
    }
    /// The fact or the citation as it is now (null if it no longer exists).
    async fn item(&self, ctx: &Context<'_>) -> Result<Option<ReviewItem>> {
        Ok(match self.member {
            QueueMember::Fact { id, .. } => visible_fact(ctx, Some(id)).await?.map(ReviewItem::Fact),
            QueueMember::Citation { id } => match crate::domain::fact::evidence::load_citation(ctx.db(), id).await {
                Ok(citation) => Some(ReviewItem::Citation(Citation(citation))),
                Err(DomainError::NotFound(_)) => None,
                Err(error) => return Err(error.into()),
            },
        })
    }
}

#[derive(Default)]
pub struct Subscription;

/// Every subscription of the API, served over WebSocket on `/graphql` with the
/// `graphql-transport-ws` protocol.
#[Subscription]
impl Subscription {
    /// Public events of facts as they are committed: published, retracted, superseded,
    /// citations added or withdrawn, in commit order. With `after` (the cursor of the last event
    /// received, here or from `Query.changes`), first every matching event since, then live ones,
    /// with none missed or repeated at the seam. A subscriber too slow to keep up receives a
    /// `SUBSCRIBER_LAGGED` error naming where to resume, and the subscription ends.
    async fn fact_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which facts' events (all without it).")] filter: Option<FactEventFilterInput>,
        #[graphql(desc = "Resume after this cursor: events committed since come first.")] after: Option<String>,
    ) -> Result<impl Stream<Item = Result<FactEvent>>> {
        let selection = filter.unwrap_or_default().into_domain(ctx).await?;
        let resume = after.map(|raw| feed::sequence_of_cursor(&raw, "after")).transpose()?;
        let hub = ctx.data_unchecked::<LiveHub>().clone();
        // Subscribed before catching up, so that what is committed meanwhile waits in the
        // subscription: the catch-up reads at least up to where the live events start.
        let mut live = hub.subscribe().await?;
        let db = ctx.db().clone();
        Ok(async_stream::stream! {
            let mut seen = resume.unwrap_or(live.position);
            let mut last_cursor = None;
            if resume.is_some() {
                loop {
                    let batch = match faceted_changes_after(&db, Some(seen), CATCH_UP_BATCH).await {
                        Ok(batch) => batch,
                        Err(error) => {
                            yield Err(ApiError::from(error));
                            return;
                        }
                    };
                    let complete = (batch.len() as u64) < CATCH_UP_BATCH;
                    for FacetedChange { change, facets } in batch {
                        seen = change.sequence;
                        if selection.matches(&change, facets.as_ref()) {
                            last_cursor = Some(change.cursor().encode());
                            yield Ok(FactEvent(change));
                        }
                    }
                    if complete {
                        break;
                    }
                }
            }
            loop {
                match live.events.recv().await {
                    Ok(LiveEvent::Change(faceted)) => {
                        if faceted.change.sequence <= seen {
                            continue;
                        }
                        seen = faceted.change.sequence;
                        if selection.matches(&faceted.change, faceted.facets.as_ref()) {
                            last_cursor = Some(faceted.change.cursor().encode());
                            yield Ok(FactEvent(faceted.change.clone()));
                        }
                    }
                    Ok(LiveEvent::Queue(_)) => {}
                    Err(RecvError::Lagged(missed)) => {
                        yield Err(subscriber_lagged(missed, last_cursor.clone()));
                        return;
                    }
                    Err(RecvError::Closed) => return,
                }
            }
        })
    }

    /// Reviewers and admins: facts and citations entering and leaving the review queue, as
    /// they do. With `current`, first every item waiting when the subscription starts (as
    /// `ENTERED`), so that a console needs no separate read of `Query.reviewQueue` and misses
    /// nothing between the two.
    async fn review_queue(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Also the items waiting now, first (default false).")] current: Option<bool>,
    ) -> Result<impl Stream<Item = Result<ReviewQueueEvent>>> {
        ctx.require_role(Required::Reviewer, "only reviewers and admins see the review queue")?;
        let hub = ctx.data_unchecked::<LiveHub>().clone();
        let (mut live, watch, waiting) = hub.watch_queue().await?;
        Ok(async_stream::stream! {
            let _watch = watch;
            if current == Some(true) {
                for member in waiting {
                    yield Ok(ReviewQueueEvent { kind: ReviewQueueEventType::Entered, member });
                }
            }
            loop {
                match live.events.recv().await {
                    Ok(LiveEvent::Queue(change)) => {
                        for &member in &change.left {
                            yield Ok(ReviewQueueEvent { kind: ReviewQueueEventType::Left, member });
                        }
                        for &member in &change.entered {
                            yield Ok(ReviewQueueEvent { kind: ReviewQueueEventType::Entered, member });
                        }
                    }
                    Ok(LiveEvent::Change(_)) => {}
                    Err(RecvError::Lagged(missed)) => {
                        yield Err(subscriber_lagged(missed, None));
                        return;
                    }
                    Err(RecvError::Closed) => return,
                }
            }
        })
    }
}
