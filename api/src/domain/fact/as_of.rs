//! The public record as it stood at a past moment, rebuilt from the revision log.
//!
//! A fact was public at a moment when its APPROVED entry was appended at or before it; its
//! state then is the snapshot of its latest public entry (APPROVED, RETRACTED, SUPERSEDED,
//! CITATION_ADDED, CITATION_WITHDRAWN: the actions the change feed shows) up to that moment.
//! Entries of drafts and reviews never count, so nothing unpublished and nobody's name comes out.
//!
//! What a snapshot holds and what is read from today's rows instead:
//! - the claim (kind, summary, modality, dates, country) and the workflow fields (status,
//!   version, retraction reason, supersession links) come from the snapshot;
//! - participants and qualifiers are today's rows: a published claim is never edited (a
//!   correction is a new fact), so they are the same, except that a merge of actors points
//!   them at the actor kept, whose id is the one that still resolves;
//! - which citations were evidence, and whether each was active or withdrawn (with its reason),
//!   come from the snapshot; the citation's own content (quote, attribution, the actors it
//!   names, its verification against the source's text) is today's row, as the source it cites
//!   is shown as it is now (the snapshot holds a source's id only).
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::{CitationStatus, DatePrecision, FactStatus, Modality};
use entity::{citation, fact, revision};
use sea_orm::sea_query::{Expr, Func, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;
use uuid::Uuid;

use super::query::{citations_of, facts_by_ids};
use crate::domain::chain::Subject;
use crate::domain::feed::PUBLIC_FACT_ACTIONS;
use crate::domain::{DomainError, DomainResult};

/// A fact as the public saw it at a moment: the fact, and its evidence then.
#[derive(Debug, Clone)]
pub struct FactAsOf {
    pub fact: fact::Model,
    /// The citations that were evidence then, ACTIVE or WITHDRAWN as they stood, in the fact's
    /// order.
    pub citations: Vec<citation::Model>,
}

/// The part of a fact's snapshot (`history::snapshot_fact`) the rebuild reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FactSnapshot {
    kind: String,
    summary: String,
    modality: Modality,
    occurred_on: NaiveDate,
    occurred_precision: DatePrecision,
    occurred_until: Option<NaiveDate>,
    country: Option<String>,
    status: FactStatus,
    version: i32,
    retraction_reason: Option<String>,
    supersedes_id: Option<Uuid>,
    superseded_by_id: Option<Uuid>,
    #[serde(default)]
    citations: Vec<CitationSnapshot>,
}

/// A citation in a snapshot: which one (its source and quote, unique among a fact's citations
/// that were not rejected), whether it was withdrawn, and why.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CitationSnapshot {
    source_id: Uuid,
    quote: String,
    /// Absent for an active citation.
    status: Option<CitationStatus>,
    reason: Option<String>,
}

/// The latest public entry of each of `ids` appended at or before `at`, in one statement.
async fn latest_public_entries<C: ConnectionTrait>(
    db: &C,
    ids: &[Uuid],
    at: DateTime<Utc>,
) -> DomainResult<HashMap<Uuid, revision::Model>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let latest = Query::select()
        .expr(Func::max(Expr::col(revision::Column::Seq)))
        .from(revision::Entity)
        .and_where(revision::Column::Subject.eq(Subject::Fact.as_str()))
        .and_where(revision::Column::FactId.is_in(ids.iter().copied()))
        .and_where(revision::Column::Action.is_in(PUBLIC_FACT_ACTIONS.iter().copied()))
        .and_where(revision::Column::CreatedAt.lte(at))
        .group_by_col(revision::Column::FactId)
        .to_owned();
    let rows = revision::Entity::find()
        .filter(revision::Column::Seq.in_subquery(latest))
        .order_by_asc(revision::Column::Seq)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|row| (row.fact_id, row)).collect())
}

/// Rebuilds each of `current` (today's rows) as the public saw it at `at`; facts that were not
/// public then are left out. Three statements whatever the number of facts.
pub async fn rebuild_as_of<C: ConnectionTrait>(
    db: &C,
    current: &[fact::Model],
    at: DateTime<Utc>,
) -> DomainResult<HashMap<Uuid, FactAsOf>> {
    let ids: Vec<Uuid> = current.iter().map(|fact| fact.id).collect();
    let mut entries = latest_public_entries(db, &ids, at).await?;
    let public_ids: Vec<Uuid> = ids.iter().copied().filter(|id| entries.contains_key(id)).collect();
    let mut citations = citations_of(db, &public_ids).await?;
    let mut rebuilt = HashMap::new();
    for fact in current {
        let Some(entry) = entries.remove(&fact.id) else { continue };
        let snapshot: FactSnapshot = serde_json::from_str(&entry.snapshot).map_err(|error| {
            DomainError::Internal(format!("revision {} of fact {} does not parse: {error}", entry.id, fact.id))
        })?;
        let today = citations.remove(&fact.id).unwrap_or_default();
        let evidence = evidence_then(fact.id, &snapshot.citations, today)?;
        rebuilt.insert(fact.id, FactAsOf { fact: fact_then(fact, snapshot, &entry), citations: evidence });
    }
    Ok(rebuilt)
}

/// `rebuild_as_of` for facts named by id (one statement more, for today's rows).
pub async fn facts_as_of<C: ConnectionTrait>(
    db: &C,
    ids: &[Uuid],
    at: DateTime<Utc>,
) -> DomainResult<HashMap<Uuid, FactAsOf>> {
    let current: Vec<fact::Model> = facts_by_ids(db, ids).await?.into_values().collect();
    rebuild_as_of(db, &current, at).await
}

/// The fact row as it stood after `entry`. Times the snapshot does not hold: the last change is
/// the entry's (today's `updated_at` while the entry is still the latest version, which the row
/// stamped a moment before the entry, so that a read as of now agrees with a plain one); a
/// retraction's is today's `retracted_at` (it cannot change once set); the creation and first
/// publication never change.
fn fact_then(today: &fact::Model, snapshot: FactSnapshot, entry: &revision::Model) -> fact::Model {
    let retracted = snapshot.status == FactStatus::Retracted;
    let updated_at = if snapshot.version == today.version { today.updated_at } else { entry.created_at };
    fact::Model {
        kind_key: snapshot.kind,
        summary: snapshot.summary,
        modality: snapshot.modality,
        occurred_on: snapshot.occurred_on,
        occurred_precision: snapshot.occurred_precision,
        occurred_until: snapshot.occurred_until,
        country: snapshot.country,
        status: snapshot.status,
        version: snapshot.version,
        updated_at,
        retracted_at: today.retracted_at.filter(|_| retracted),
        retraction_reason: snapshot.retraction_reason,
        supersedes_id: snapshot.supersedes_id,
        superseded_by_id: snapshot.superseded_by_id,
        ..today.clone()
    }
}

/// The citations a snapshot lists, as today's rows with the status and reason they had then.
fn evidence_then(
    fact_id: Uuid,
    listed: &[CitationSnapshot],
    today: Vec<citation::Model>,
) -> DomainResult<Vec<citation::Model>> {
    let mut evidence = Vec::with_capacity(listed.len());
    for then in listed {
        let row = today
            .iter()
            .find(|row| {
                row.status != CitationStatus::Rejected && row.source_id == then.source_id && row.quote == then.quote
            })
            .ok_or_else(|| {
                DomainError::Internal(format!("a citation in the history of fact {fact_id} is no longer stored"))
            })?;
        let status = then.status.unwrap_or(CitationStatus::Active);
        let reason = if status == CitationStatus::Withdrawn { then.reason.clone() } else { None };
        evidence.push(citation::Model { status, status_reason: reason, ..row.clone() });
    }
    evidence.sort_by_key(|citation| citation.position);
    Ok(evidence)
}
