//! The one write path of facts. Every write names the version it read; the version guard in
//! the UPDATE makes concurrent edits conflict instead of overwriting, and the revision is
//! appended to the hash chain in the same transaction as the change. Each step is looked up in
//! the workflow's `TRANSITIONS` table, which also says who may take it.
use entity::enums::CitationStatus;
use entity::enums::FactStatus::{Draft, Superseded};
use entity::{citation, fact, fact_participant, fact_qualifier};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionSession,
    TransactionTrait, UpdateMany,
};
use uuid::Uuid;

use super::history::{append_revision, RevisionAction};
use super::model::{FactInput, ValidCitation, ValidFactInput};
use super::query::{citations_of, qualifiers_of};
use super::quotes::quote_digest;
use super::rules::validate_fact;
use super::workflow::{authorize, find_fact, transition, FactAction};
use crate::domain::account::Principal;
use crate::domain::idempotency::{Claim, IdempotencyKey};
use crate::domain::ids::FactId;
use crate::domain::{now, rules, stale, DomainError, DomainResult, Violations};

/// A correction: the published fact a new draft will supersede, at the version the editor read.
#[derive(Debug, Clone, Copy)]
pub struct Correction {
    pub of: FactId,
    pub expected_version: i32,
}

/// A new draft: its id (chosen by the caller, so a retry or a dataset can name it), what the
/// editor wrote, and the violations the edge found while decoding it.
#[derive(Debug)]
pub struct NewFact {
    pub id: FactId,
    pub input: FactInput,
    pub reported: Violations,
}

fn check_version(fact: &fact::Model, expected_version: i32) -> DomainResult<()> {
    if fact.version == expected_version {
        Ok(())
    } else {
        Err(stale("fact", fact.version))
    }
}

/// The version-guarded UPDATE every write starts with: it fails when anyone else wrote first.
async fn guarded_update<C: ConnectionTrait>(
    txn: &C,
    fact: &fact::Model,
    expected_version: i32,
    change: impl FnOnce(UpdateMany<fact::Entity>) -> UpdateMany<fact::Entity>,
) -> DomainResult<fact::Model> {
    let update = fact::Entity::update_many()
        .col_expr(fact::Column::Version, Expr::val(expected_version + 1))
        .col_expr(fact::Column::UpdatedAt, Expr::val(now()))
        .filter(fact::Column::Id.eq(fact.id))
        .filter(fact::Column::Version.eq(expected_version))
        .filter(fact::Column::Status.eq(fact.status));
    let result = change(update).exec(txn).await?;
    if result.rows_affected == 0 {
        // Someone else wrote first: say which version is current now, so the client can reload.
        let current = fact::Entity::find_by_id(fact.id).one(txn).await?;
        return Err(current.map_or_else(|| DomainError::NotFound("fact".into()), |now| stale("fact", now.version)));
    }
    fact::Entity::find_by_id(fact.id).one(txn).await?.ok_or_else(|| DomainError::NotFound("fact".into()))
}

pub(super) async fn finish<C: ConnectionTrait>(
    txn: &C,
    fact: &fact::Model,
    action: FactAction,
    principal: &Principal,
    comment: Option<String>,
) -> DomainResult<()> {
    refresh_search_document(txn, fact.id).await?;
    if let Some(revision) = action.revision() {
        append_revision(txn, fact, revision, Some(principal.user_id.0), comment).await?;
    }
    Ok(())
}

fn fact_row(id: Uuid, input: &ValidFactInput, principal: &Principal, supersedes: Option<Uuid>) -> fact::ActiveModel {
    let at = now();
    fact::ActiveModel {
        id: Set(id),
        kind_key: Set(input.kind.clone()),
        summary: Set(input.summary.clone()),
        modality: Set(input.modality),
        occurred_on: Set(input.occurred_on),
        occurred_precision: Set(input.occurred_precision),
        occurred_until: Set(input.occurred_until),
        country: Set(input.country.clone()),
        status: Set(Draft),
        version: Set(1),
        created_by: Set(principal.user_id.0),
        last_edited_by: Set(principal.user_id.0),
        reviewed_by: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        published_at: Set(None),
        retracted_at: Set(None),
        retraction_reason: Set(None),
        supersedes_id: Set(supersedes),
        superseded_by_id: Set(None),
    }
}

/// Creates a draft (or, with `supersedes`, a correction of a published fact).
pub async fn create_fact<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &Principal,
    new: NewFact,
    idempotency: Option<IdempotencyKey>,
    correction: Option<Correction>,
) -> DomainResult<fact::Model> {
    if let Some(key) = &idempotency {
        if let Some(response) = key.lookup(db).await? {
            return replayed_fact(db, &response).await;
        }
    }
    if let Some(correction) = correction {
        let old = find_fact(db, principal, correction.of).await?;
        check_version(&old, correction.expected_version)?;
        authorize(transition(old.status, FactAction::Correct)?, principal, &old)?;
    }
    let valid = validate_fact(db, new.input, new.reported, None).await?;
    let txn = db.begin().await?;
    if let Some(key) = &idempotency {
        if let Claim::Replay(response) = key.claim(&txn).await? {
            txn.commit().await?;
            return replayed_fact(db, &response).await;
        }
    }
    let id = new.id.0;
    fact::Entity::insert(fact_row(id, &valid, principal, correction.map(|c| c.of.0)))
        .exec_without_returning(&txn)
        .await?;
    write_parts(&txn, id, &valid).await?;
    let created = fact::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| DomainError::NotFound("fact".into()))?;
    refresh_search_document(&txn, id).await?;
    append_revision(&txn, &created, RevisionAction::Created, Some(principal.user_id.0), None).await?;
    if let Some(key) = &idempotency {
        key.complete(&txn, &id.to_string()).await?;
    }
    txn.commit().await?;
    Ok(created)
}

/// The fact an earlier use of an idempotency key created.
async fn replayed_fact<C: ConnectionTrait>(db: &C, response: &str) -> DomainResult<fact::Model> {
    let id = Uuid::parse_str(response).map_err(|_| DomainError::Internal("bad idempotent response".into()))?;
    fact::Entity::find_by_id(id).one(db).await?.ok_or_else(|| DomainError::NotFound("fact".into()))
}

/// Replaces the content of a draft or of a fact sent back for changes.
pub async fn update_fact<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &Principal,
    id: FactId,
    expected_version: i32,
    input: FactInput,
    reported: Violations,
) -> DomainResult<fact::Model> {
    let current = find_fact(db, principal, id).await?;
    let id = id.0;
    check_version(&current, expected_version)?;
    let rule = transition(current.status, FactAction::Edit)?;
    authorize(rule, principal, &current)?;
    let valid = validate_fact(db, input, reported, Some(current.kind_key.as_str())).await?;
    let txn = db.begin().await?;
    let updated = guarded_update(&txn, &current, expected_version, |q| {
        q.col_expr(fact::Column::KindKey, Expr::val(valid.kind.clone()))
            .col_expr(fact::Column::Summary, Expr::val(valid.summary.clone()))
            .col_expr(fact::Column::Modality, Expr::val(valid.modality.as_str()))
            .col_expr(fact::Column::OccurredOn, Expr::val(valid.occurred_on))
            .col_expr(fact::Column::OccurredPrecision, Expr::val(valid.occurred_precision.as_str()))
            .col_expr(fact::Column::OccurredUntil, Expr::val(valid.occurred_until))
            .col_expr(fact::Column::Country, Expr::val(valid.country.clone()))
            .col_expr(fact::Column::LastEditedBy, Expr::val(principal.user_id.0))
    })
    .await?;
    write_parts(&txn, id, &valid).await?;
    finish(&txn, &updated, FactAction::Edit, principal, None).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Submits, reviews or retracts: the steps that change only the status.
pub async fn take_step<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &Principal,
    id: FactId,
    expected_version: i32,
    action: FactAction,
    comment: Option<String>,
) -> DomainResult<fact::Model> {
    let current = find_fact(db, principal, id).await?;
    let id = id.0;
    check_version(&current, expected_version)?;
    let rule = transition(current.status, action)?;
    authorize(rule, principal, &current)?;
    let mut v = Violations::new();
    let comment_field = if action == FactAction::Retract { "reason" } else { "comment" };
    let comment = match action {
        // A reviewer who sends back or refuses work says why; so does a retraction.
        FactAction::RequestChanges | FactAction::Reject | FactAction::Retract => {
            Some(rules::text(&mut v, comment_field, comment.as_deref().unwrap_or(""), 1, 2000))
        }
        _ => rules::optional_text(&mut v, comment_field, comment.as_deref(), 2000),
    };
    if action == FactAction::Submit {
        let citations = citation::Entity::find().filter(citation::Column::FactId.eq(id)).count(db).await?;
        if citations == 0 {
            v.add("citations", "a fact needs at least one citation before it can be submitted");
        }
    }
    v.into_result()?;
    let to = rule.to.ok_or_else(|| DomainError::Internal("status step without a target".into()))?;
    let at = now();
    let txn = db.begin().await?;
    let updated = guarded_update(&txn, &current, expected_version, |q| {
        let q = q.col_expr(fact::Column::Status, Expr::val(to.as_str()));
        match action {
            FactAction::Approve => q
                .col_expr(fact::Column::ReviewedBy, Expr::val(principal.user_id.0))
                .col_expr(fact::Column::PublishedAt, Expr::val(at)),
            FactAction::RequestChanges | FactAction::Reject => {
                q.col_expr(fact::Column::ReviewedBy, Expr::val(principal.user_id.0))
            }
            FactAction::Retract => q
                .col_expr(fact::Column::RetractedAt, Expr::val(at))
                .col_expr(fact::Column::RetractionReason, Expr::val(comment.clone())),
            _ => q,
        }
    })
    .await?;
    if action == FactAction::Approve {
        if let Some(old_id) = updated.supersedes_id {
            supersede(&txn, principal, old_id, updated.id).await?;
        }
    }
    finish(&txn, &updated, action, principal, comment).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Turns the fact a published correction replaces SUPERSEDED, in the approving transaction.
async fn supersede<C: ConnectionTrait>(txn: &C, principal: &Principal, old_id: Uuid, new_id: Uuid) -> DomainResult<()> {
    let old = fact::Entity::find_by_id(old_id).one(txn).await?.ok_or_else(|| DomainError::NotFound("fact".into()))?;
    transition(old.status, FactAction::Supersede).map_err(|_| {
        DomainError::Conflict(format!("the fact this corrects is {} now, no longer PUBLISHED", old.status.as_str()))
    })?;
    let updated = guarded_update(txn, &old, old.version, |q| {
        q.col_expr(fact::Column::Status, Expr::val(Superseded.as_str()))
            .col_expr(fact::Column::SupersededById, Expr::val(new_id))
    })
    .await?;
    append_revision(txn, &updated, RevisionAction::Superseded, Some(principal.user_id.0), None).await?;
    Ok(())
}

/// Deletes a draft; its history stays in the revision log, ending with a DELETED revision.
pub async fn delete_draft<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &Principal,
    id: FactId,
    expected_version: i32,
) -> DomainResult<FactId> {
    let current = find_fact(db, principal, id).await?;
    check_version(&current, expected_version)?;
    authorize(transition(current.status, FactAction::Delete)?, principal, &current)?;
    let txn = db.begin().await?;
    let last = guarded_update(&txn, &current, expected_version, |q| q).await?;
    append_revision(&txn, &last, RevisionAction::Deleted, Some(principal.user_id.0), None).await?;
    fact::Entity::delete_by_id(id.0).exec(&txn).await?;
    txn.commit().await?;
    Ok(id)
}

/// Replaces a fact's participants, qualifiers and citations.
pub async fn write_parts<C: ConnectionTrait>(db: &C, fact_id: Uuid, input: &ValidFactInput) -> DomainResult<()> {
    fact_participant::Entity::delete_many().filter(fact_participant::Column::FactId.eq(fact_id)).exec(db).await?;
    fact_qualifier::Entity::delete_many().filter(fact_qualifier::Column::FactId.eq(fact_id)).exec(db).await?;
    citation::Entity::delete_many().filter(citation::Column::FactId.eq(fact_id)).exec(db).await?;
    if !input.participants.is_empty() {
        fact_participant::Entity::insert_many(input.participants.iter().enumerate().map(|(i, p)| {
            fact_participant::ActiveModel {
                id: Set(Uuid::now_v7()),
                fact_id: Set(fact_id),
                actor_id: Set(p.actor.0),
                role: Set(p.role),
                title: Set(p.title.clone()),
                position: Set(i as i32),
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    if !input.qualifiers.is_empty() {
        fact_qualifier::Entity::insert_many(input.qualifiers.iter().enumerate().map(|(i, q)| {
            fact_qualifier::ActiveModel {
                id: Set(Uuid::now_v7()),
                fact_id: Set(fact_id),
                key: Set(q.key.clone()),
                value: Set(q.value.clone()),
                position: Set(i as i32),
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    if !input.citations.is_empty() {
        citation::Entity::insert_many(
            input
                .citations
                .iter()
                .enumerate()
                .map(|(i, c)| citation_row(fact_id, i as i32, c, CitationStatus::Active, None)),
        )
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// A citation row: one of a draft's (ACTIVE, no proposer), or one proposed for a published fact.
pub fn citation_row(
    fact_id: Uuid,
    position: i32,
    c: &ValidCitation,
    status: CitationStatus,
    proposed_by: Option<Uuid>,
) -> citation::ActiveModel {
    citation::ActiveModel {
        id: Set(Uuid::now_v7()),
        fact_id: Set(fact_id),
        source_id: Set(c.source.0),
        quote_sha256: Set(quote_digest(&c.quote)),
        quote: Set(c.quote.clone()),
        attributed_to_id: Set(c.attributed_to.map(Uuid::from)),
        attribution: Set(c.attribution),
        relayed_from_id: Set(c.relayed_from.map(Uuid::from)),
        verified: Set(c.location.is_some()),
        quote_start: Set(c.location.map(|l| l.0)),
        quote_end: Set(c.location.map(|l| l.1)),
        position: Set(position),
        status: Set(status),
        proposed_by: Set(proposed_by),
        proposed_at: Set(proposed_by.map(|_| now())),
        decided_by: Set(None),
        status_reason: Set(None),
    }
}

/// Rebuilds the text a fact is found by: summary, qualifier values and quotes.
pub async fn refresh_search_document<C: ConnectionTrait>(db: &C, fact_id: Uuid) -> DomainResult<()> {
    use entity::fact_search_document;
    use sea_orm::{ActiveValue::Set, ModelTrait};
    let fact = fact::Entity::find_by_id(fact_id).one(db).await?.ok_or_else(|| DomainError::NotFound("fact".into()))?;
    let ids = [fact_id];
    let mut document = fact.summary.clone();
    for qualifier in qualifiers_of(db, &ids).await?.remove(&fact_id).unwrap_or_default() {
        document.push('\n');
        document.push_str(&qualifier.value);
    }
    let citations = citations_of(db, &ids).await?.remove(&fact_id).unwrap_or_default();
    // Only the evidence: a pending proposal is not public, a withdrawn quote was found wrong.
    for citation in citations.into_iter().filter(|c| c.status == CitationStatus::Active) {
        document.push('\n');
        document.push_str(&citation.quote);
    }
    if let Some(existing) = fact_search_document::Entity::find_by_id(fact_id).one(db).await? {
        existing.delete(db).await?;
    }
    fact_search_document::Entity::insert(fact_search_document::ActiveModel {
        fact_id: Set(fact_id),
        document: Set(document),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}
