//! The revision log: every change and every workflow step of a fact, as a full snapshot,
//! appended in the same transaction as the change and hash-chained across all facts, so that
//! any later edit of a stored row is detectable by anyone who recomputes the chain.
use entity::enums::CitationStatus;
use entity::{citation, fact, revision, revision_chain};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, QuerySelect};
use serde_json::json;
use uuid::Uuid;

use super::query::{citations_of, participants_of, qualifiers_of};
use crate::domain::chain::{self, chain_hash, ChainEntry, Subject};
use crate::domain::{DomainError, DomainResult};

/// What happened to a fact in one revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevisionAction {
    Created,
    Updated,
    Submitted,
    Approved,
    ChangesRequested,
    Rejected,
    Retracted,
    Superseded,
    Deleted,
    /// A proposed citation was approved: the evidence grew on the same fact.
    CitationAdded,
    /// A published citation was found wrong and withdrawn, with its reason.
    CitationWithdrawn,
}

impl RevisionAction {
    /// Every action, in the order of the enum.
    pub const ALL: [RevisionAction; 11] = [
        Self::Created,
        Self::Updated,
        Self::Submitted,
        Self::Approved,
        Self::ChangesRequested,
        Self::Rejected,
        Self::Retracted,
        Self::Superseded,
        Self::Deleted,
        Self::CitationAdded,
        Self::CitationWithdrawn,
    ];

    /// The action a stored revision names.
    pub fn parse(stored: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.as_str() == stored)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "CREATED",
            Self::Updated => "UPDATED",
            Self::Submitted => "SUBMITTED",
            Self::Approved => "APPROVED",
            Self::ChangesRequested => "CHANGES_REQUESTED",
            Self::Rejected => "REJECTED",
            Self::Retracted => "RETRACTED",
            Self::Superseded => "SUPERSEDED",
            Self::Deleted => "DELETED",
            Self::CitationAdded => "CITATION_ADDED",
            Self::CitationWithdrawn => "CITATION_WITHDRAWN",
        }
    }
}

/// The full state of a fact as canonical JSON (object keys sorted, as serde_json's map is).
pub async fn snapshot_fact<C: ConnectionTrait>(db: &C, fact: &fact::Model) -> DomainResult<serde_json::Value> {
    let ids = [fact.id];
    let participants = participants_of(db, &ids).await?.remove(&fact.id).unwrap_or_default();
    let qualifiers = qualifiers_of(db, &ids).await?.remove(&fact.id).unwrap_or_default();
    let citations = citations_of(db, &ids).await?.remove(&fact.id).unwrap_or_default();
    Ok(json!({
        "id": fact.id,
        "kind": fact.kind_key,
        "summary": fact.summary,
        "modality": fact.modality.as_str(),
        "occurredOn": fact.occurred_on.to_string(),
        "occurredPrecision": fact.occurred_precision.as_str(),
        "occurredUntil": fact.occurred_until.map(|d| d.to_string()),
        "country": fact.country,
        "status": fact.status.as_str(),
        "version": fact.version,
        "retractionReason": fact.retraction_reason,
        "supersedesId": fact.supersedes_id,
        "supersededById": fact.superseded_by_id,
        "participants": participants.iter().map(|p| json!({
            "actorId": p.actor_id, "role": p.role.as_str(), "title": p.title,
        })).collect::<Vec<_>>(),
        "qualifiers": qualifiers.iter().map(|q| json!({ "key": q.key, "value": q.value })).collect::<Vec<_>>(),
        "citations": citations.iter().filter(|c| is_evidence(c.status)).map(citation_snapshot).collect::<Vec<_>>(),
    }))
}

/// Whether a citation is part of a fact's evidence as history records it: active, or withdrawn
/// (kept, marked). Proposals are not, until a reviewer approves them.
fn is_evidence(status: CitationStatus) -> bool {
    matches!(status, CitationStatus::Active | CitationStatus::Withdrawn)
}

/// A citation in a snapshot. Who proposed, decided or withdrew it, and why, appear only for the
/// citations that have them, so a draft's citations read as they always have.
fn citation_snapshot(c: &citation::Model) -> serde_json::Value {
    let mut value = json!({
        "sourceId": c.source_id,
        "quote": c.quote,
        "attribution": c.attribution.as_str(),
        "attributedToId": c.attributed_to_id,
        "relayedFromId": c.relayed_from_id,
        "verified": c.verified,
        "quoteStart": c.quote_start,
        "quoteEnd": c.quote_end,
    });
    if let Some(map) = value.as_object_mut() {
        if c.status != CitationStatus::Active {
            map.insert("status".into(), c.status.as_str().into());
        }
        if let Some(proposed_by) = c.proposed_by {
            map.insert("proposedBy".into(), proposed_by.to_string().into());
        }
        if let Some(decided_by) = c.decided_by {
            map.insert("decidedBy".into(), decided_by.to_string().into());
        }
        if let Some(reason) = &c.status_reason {
            map.insert("reason".into(), reason.clone().into());
        }
    }
    value
}

/// Appends a revision of `fact` (as it now stands in `db`) to the chain. Must run inside the
/// transaction that made the change.
pub async fn append_revision<C: ConnectionTrait>(
    db: &C,
    fact: &fact::Model,
    action: RevisionAction,
    actor_id: Option<Uuid>,
    comment: Option<String>,
) -> DomainResult<revision::Model> {
    let snapshot = snapshot_fact(db, fact).await?.to_string();
    let entry = ChainEntry {
        subject: Subject::Fact,
        subject_id: fact.id,
        version: fact.version,
        action: action.as_str(),
        actor_id,
        comment,
        snapshot,
    };
    chain::append(db, entry).await
}

/// The outcome of recomputing the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainVerdict {
    /// Every revision matches; `length` revisions checked.
    Intact { length: u64 },
    /// The first revision whose stored hash, link or position does not match, or (with no
    /// `revision_id`) a head that is missing or disagrees with the log.
    Broken { seq: i64, revision_id: Option<Uuid>, reason: String },
}

/// A head of the log published earlier (`historyHead`): the revision at `sequence` had `hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenHead {
    pub sequence: i64,
    pub hash: String,
}

/// The head of the log as the public sees it: its length, the hash of its newest revision (the
/// genesis hash while empty) and when that revision was appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryHead {
    pub sequence: i64,
    pub hash: String,
    pub at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Reads the stored head and the time of the revision it names.
pub async fn history_head<C: ConnectionTrait>(db: &C) -> DomainResult<HistoryHead> {
    let head = revision_chain::Entity::find_by_id(1)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::Internal("revision chain head is missing".into()))?;
    let newest = revision::Entity::find()
        .filter(sea_orm::ColumnTrait::eq(&revision::Column::Seq, head.length))
        .select_only()
        .column(revision::Column::CreatedAt)
        .into_tuple::<chrono::DateTime<chrono::Utc>>()
        .one(db)
        .await?;
    Ok(HistoryHead { sequence: head.length, hash: head.head_hash, at: newest })
}

/// Recomputes the whole chain in order, reading it in batches, and checks the stored head
/// against it.
pub async fn verify_chain<C: ConnectionTrait>(db: &C) -> DomainResult<ChainVerdict> {
    verify_chain_since(db, None).await
}

/// `verify_chain`, and with `seen` also that the log extends that earlier head: the revision at
/// its sequence is still there with the same hash.
pub async fn verify_chain_since<C: ConnectionTrait>(db: &C, seen: Option<&SeenHead>) -> DomainResult<ChainVerdict> {
    const BATCH: u64 = 500;
    if let Some(seen) = seen.filter(|seen| seen.sequence == 0) {
        if seen.hash != migration::GENESIS_HASH {
            return Ok(ChainVerdict::Broken {
                seq: 0,
                revision_id: None,
                reason: "the head seen earlier names an empty log with a hash that is not the genesis hash".into(),
            });
        }
    }
    let mut expected_prev = migration::GENESIS_HASH.to_owned();
    let mut expected_seq = 1i64;
    loop {
        let rows = revision::Entity::find()
            .filter(sea_orm::ColumnTrait::gte(&revision::Column::Seq, expected_seq))
            .order_by_asc(revision::Column::Seq)
            .limit(BATCH)
            .all(db)
            .await?;
        let done = (rows.len() as u64) < BATCH;
        for row in rows {
            let broken =
                |reason: &str| ChainVerdict::Broken { seq: row.seq, revision_id: Some(row.id), reason: reason.into() };
            if row.seq != expected_seq {
                return Ok(ChainVerdict::Broken {
                    seq: expected_seq,
                    revision_id: Some(row.id),
                    reason: format!("revision {expected_seq} is missing"),
                });
            }
            if row.prev_hash != expected_prev {
                return Ok(broken("its link to the previous revision does not match"));
            }
            if chain_hash(&row.prev_hash, &row) != row.hash {
                return Ok(broken("its content does not match its hash"));
            }
            if seen.is_some_and(|seen| seen.sequence == row.seq && seen.hash != row.hash) {
                return Ok(broken("its hash differs from the head seen earlier: the log was rewritten since"));
            }
            expected_prev = row.hash.clone();
            expected_seq += 1;
        }
        if done {
            break;
        }
    }
    let length = expected_seq - 1;
    let head_broken = |reason: String| ChainVerdict::Broken { seq: length, revision_id: None, reason };
    let Some(head) = revision_chain::Entity::find_by_id(1).one(db).await? else {
        return Ok(head_broken("the chain head is missing (it was deleted behind the application's back)".into()));
    };
    if head.length != length {
        return Ok(head_broken(format!(
            "the chain head counts {} revisions but the log holds {length} (revisions were removed or added)",
            head.length
        )));
    }
    if head.head_hash != expected_prev {
        return Ok(head_broken("the chain head's hash does not match the last revision".into()));
    }
    if let Some(seen) = seen.filter(|seen| seen.sequence > length) {
        return Ok(head_broken(format!(
            "the log ends at revision {length}, before the head seen earlier (#{}): it was cut",
            seen.sequence
        )));
    }
    Ok(ChainVerdict::Intact { length: length as u64 })
}

use sea_orm::QueryFilter;

/// Every revision of a fact, oldest first.
pub async fn revisions_of<C: ConnectionTrait>(db: &C, fact_id: Uuid) -> DomainResult<Vec<revision::Model>> {
    Ok(revision::Entity::find()
        .filter(sea_orm::ColumnTrait::eq(&revision::Column::FactId, fact_id))
        .filter(sea_orm::ColumnTrait::eq(&revision::Column::Subject, Subject::Fact.as_str()))
        .order_by_asc(revision::Column::Seq)
        .all(db)
        .await?)
}

/// The fact a revision of the history is about; None for no such revision, or one about a kind,
/// a source or an actor.
pub async fn fact_of_revision<C: ConnectionTrait>(
    db: &C,
    id: crate::domain::ids::RevisionId,
) -> DomainResult<Option<Uuid>> {
    let found = revision::Entity::find_by_id(id.0)
        .filter(sea_orm::ColumnTrait::eq(&revision::Column::Subject, Subject::Fact.as_str()))
        .one(db)
        .await?;
    Ok(found.map(|revision| revision.fact_id))
}

/// One field that differs between two snapshots (values as JSON text; absent = null).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The fields of a fact that differ between two snapshots (workflow bookkeeping excluded).
pub fn diff_snapshots(before: Option<&str>, after: &str) -> Vec<FieldChange> {
    let parse = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap_or_default();
    let before = before.map(parse).unwrap_or_default();
    let after = parse(after);
    let empty = serde_json::Map::new();
    let (b, a) = (before.as_object().unwrap_or(&empty), after.as_object().unwrap_or(&empty));
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|key| !matches!(key.as_str(), "version" | "status" | "id"))
        .filter(|key| {
            let present =
                |map: &serde_json::Map<String, serde_json::Value>| map.get(*key).filter(|v| !v.is_null()).cloned();
            present(b) != present(a)
        })
        .map(|key| FieldChange {
            field: key.clone(),
            before: b.get(key).filter(|v| !v.is_null()).map(|v| v.to_string()),
            after: a.get(key).filter(|v| !v.is_null()).map(|v| v.to_string()),
        })
        .collect()
}

/// What changed since the last time a reviewer decided on this fact: the diff a reviewer needs.
/// Before any decision, a correction is compared with the fact it corrects (only what the
/// correction changes), and any other fact with nothing (every field is new).
pub async fn changes_since_last_review<C: ConnectionTrait>(db: &C, fact_id: Uuid) -> DomainResult<Vec<FieldChange>> {
    let revisions = revisions_of(db, fact_id).await?;
    let Some(latest) = revisions.last() else { return Ok(Vec::new()) };
    let reviewed =
        revisions.iter().rev().find(|r| matches!(r.action.as_str(), "APPROVED" | "CHANGES_REQUESTED" | "REJECTED"));
    if let Some(reviewed) = reviewed {
        return Ok(diff_snapshots(Some(&reviewed.snapshot), &latest.snapshot));
    }
    let corrected = serde_json::from_str::<serde_json::Value>(&latest.snapshot)
        .ok()
        .and_then(|snapshot| snapshot.get("supersedesId").and_then(|id| id.as_str()).map(str::to_owned))
        .and_then(|id| Uuid::parse_str(&id).ok());
    let Some(corrected) = corrected else { return Ok(diff_snapshots(None, &latest.snapshot)) };
    let original = revisions_of(db, corrected).await?.pop();
    let changes = diff_snapshots(original.as_ref().map(|r| r.snapshot.as_str()), &latest.snapshot);
    // That the correction points at the original, and the original not yet at it, is the
    // correction itself, not a change a reviewer checks.
    Ok(changes.into_iter().filter(|c| !matches!(c.field.as_str(), "supersedesId" | "supersededById")).collect())
}
