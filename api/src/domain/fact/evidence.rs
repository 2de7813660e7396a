//! Evidence that grows on a published fact, without a new identity: a citation proposed for a
//! published fact is pending until a reviewer other than its proposer approves it, and then is
//! evidence of the same fact (the version goes up, history records CITATION_ADDED). A citation
//! found wrong is withdrawn, kept and marked; a fact never loses its last active citation.
//! Pending citations are independent: approving one never conflicts with approving another,
//! because an approval bumps the fact's version instead of guarding on the one it read.
//! This is the part of the fact's write path that touches evidence; `store` holds the rest.
use entity::enums::{CitationStatus, FactStatus};
use entity::{citation, fact};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use super::model::CitationInput;
use super::quotes::quote_digest;
use super::rules::validate_citation;
use super::store::{citation_row, finish};
use super::workflow::{authorize_on_citation, find_fact, transition, FactAction};
use crate::domain::account::Principal;
use crate::domain::idempotency::{Claim, IdempotencyKey};
use crate::domain::ids::{CitationId, FactId};
use crate::domain::pagination::{id_cursor, page_by_id, Cursor, Page, PageRequest};
use crate::domain::{now, rules, DomainError, DomainResult, Violations};

/// A reviewer's decision on a pending citation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CitationDecision {
    Approve,
    Reject,
}

/// A citation and the fact it belongs to, as a write left them.
#[derive(Debug, Clone)]
pub struct CitationOutcome {
    pub citation: citation::Model,
    pub fact: fact::Model,
}

pub async fn load_citation<C: ConnectionTrait>(db: &C, id: Uuid) -> DomainResult<citation::Model> {
    citation::Entity::find_by_id(id).one(db).await?.ok_or_else(|| DomainError::NotFound("citation".into()))
}

/// The citation `id` with its fact, as `principal` may see them: a citation of a fact they may
/// not read is NOT_FOUND, so that its existence does not leak.
async fn citation_with_fact<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    id: CitationId,
) -> DomainResult<(citation::Model, fact::Model)> {
    let citation = load_citation(db, id.0).await?;
    let fact = find_fact(db, principal, FactId(citation.fact_id)).await?;
    Ok((citation, fact))
}

/// The response an idempotency key stored: the citation's id.
async fn replayed<C: ConnectionTrait>(db: &C, response: &str) -> DomainResult<CitationOutcome> {
    let id = Uuid::parse_str(response).map_err(|_| DomainError::Internal("bad idempotent response".into()))?;
    let citation = load_citation(db, id).await?;
    let fact = fact::Entity::find_by_id(citation.fact_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::NotFound("fact".into()))?;
    Ok(CitationOutcome { citation, fact })
}

/// Proposes `input` as evidence of the published fact `fact_id`: a pending citation, verified
/// against its source's snapshot like a draft's, that no one but reviewers sees until one of
/// them (not the proposer) approves it.
pub async fn propose_citation<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &Principal,
    fact_id: FactId,
    input: CitationInput,
    reported: Violations,
    idempotency: Option<IdempotencyKey>,
) -> DomainResult<CitationOutcome> {
    if let Some(key) = &idempotency {
        if let Some(response) = key.lookup(db).await? {
            return replayed(db, &response).await;
        }
    }
    let fact = find_fact(db, principal, fact_id).await?;
    authorize_on_citation(transition(fact.status, FactAction::ProposeCitation)?, principal, &fact, None)?;
    let valid = validate_citation(db, &input, reported).await?;
    let digest = quote_digest(&valid.quote);
    let cited = citation::Entity::find()
        .filter(citation::Column::FactId.eq(fact.id))
        .filter(citation::Column::SourceId.eq(valid.source.0))
        .filter(citation::Column::QuoteSha256.eq(digest))
        .filter(citation::Column::Status.ne(CitationStatus::Rejected))
        .one(db)
        .await?;
    if let Some(cited) = cited {
        let state = if cited.status == CitationStatus::Pending { "already proposed" } else { "already cited" };
        return Err(DomainError::invalid("citation", format!("this quote of this source is {state} for this fact")));
    }
    let txn = db.begin().await?;
    if let Some(key) = &idempotency {
        if let Claim::Replay(response) = key.claim(&txn).await? {
            txn.commit().await?;
            return replayed(db, &response).await;
        }
    }
    let position = citation::Entity::find().filter(citation::Column::FactId.eq(fact.id)).count(&txn).await? as i32;
    let row = citation_row(fact.id, position, &valid, CitationStatus::Pending, Some(principal.user_id.0));
    let id = row.id.clone().unwrap();
    citation::Entity::insert(row).exec_without_returning(&txn).await.map_err(|error| {
        // Two editors proposing the same quote at once: the unique index decides.
        match error.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                DomainError::invalid("citation", "this quote of this source is already proposed for this fact")
            }
            _ => error.into(),
        }
    })?;
    if let Some(key) = &idempotency {
        key.complete(&txn, &id.to_string()).await?;
    }
    txn.commit().await?;
    Ok(CitationOutcome { citation: load_citation(db, id).await?, fact })
}

/// The fact's version goes up by one whatever version anyone read: evidence added or withdrawn
/// never conflicts with other evidence. CONFLICT when the fact is no longer published.
async fn bump_published<C: ConnectionTrait>(txn: &C, fact_id: Uuid) -> DomainResult<fact::Model> {
    let bumped = fact::Entity::update_many()
        .col_expr(fact::Column::Version, Expr::col(fact::Column::Version).add(1))
        .col_expr(fact::Column::UpdatedAt, Expr::val(now()))
        .filter(fact::Column::Id.eq(fact_id))
        .filter(fact::Column::Status.eq(FactStatus::Published))
        .exec(txn)
        .await?;
    if bumped.rows_affected == 0 {
        return Err(DomainError::Conflict("the fact is no longer published; reload it".into()));
    }
    fact::Entity::find_by_id(fact_id).one(txn).await?.ok_or_else(|| DomainError::NotFound("fact".into()))
}

/// Moves a citation from `from` to `to`, recording who decided and why; CONFLICT when someone
/// else moved it first.
async fn move_citation<C: ConnectionTrait>(
    txn: &C,
    citation: &citation::Model,
    from: CitationStatus,
    to: CitationStatus,
    principal: &Principal,
    reason: Option<String>,
) -> DomainResult<citation::Model> {
    let moved = citation::Entity::update_many()
        .col_expr(citation::Column::Status, Expr::val(to.as_str()))
        .col_expr(citation::Column::DecidedBy, Expr::val(principal.user_id.0))
        .col_expr(citation::Column::StatusReason, Expr::val(reason))
        .filter(citation::Column::Id.eq(citation.id))
        .filter(citation::Column::Status.eq(from))
        .exec(txn)
        .await?;
    if moved.rows_affected == 0 {
        let now_is = load_citation(txn, citation.id).await?.status;
        return Err(DomainError::Conflict(format!(
            "the citation is {} now, no longer {}",
            now_is.as_str(),
            from.as_str()
        )));
    }
    load_citation(txn, citation.id).await
}

fn not_in_status(citation: &citation::Model, wanted: CitationStatus, doing: &str) -> DomainError {
    DomainError::Conflict(format!(
        "only a {} citation can be {doing}; this one is {}",
        wanted.as_str(),
        citation.status.as_str()
    ))
}

/// Approves or rejects a pending citation. Approval makes it evidence of the same fact.
pub async fn review_citation<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &Principal,
    id: CitationId,
    decision: CitationDecision,
    comment: Option<String>,
) -> DomainResult<CitationOutcome> {
    let (citation, fact) = citation_with_fact(db, principal, id).await?;
    let action = match decision {
        CitationDecision::Approve => FactAction::ApproveCitation,
        CitationDecision::Reject => FactAction::RejectCitation,
    };
    authorize_on_citation(transition(fact.status, action)?, principal, &fact, citation.proposed_by)?;
    if citation.status != CitationStatus::Pending {
        return Err(not_in_status(&citation, CitationStatus::Pending, "reviewed"));
    }
    let mut v = Violations::new();
    let comment = match decision {
        // A reviewer who refuses a proposal says why.
        CitationDecision::Reject => Some(rules::text(&mut v, "comment", comment.as_deref().unwrap_or(""), 1, 2000)),
        CitationDecision::Approve => rules::optional_text(&mut v, "comment", comment.as_deref(), 2000),
    };
    v.into_result()?;
    let txn = db.begin().await?;
    let outcome = match decision {
        CitationDecision::Approve => {
            let citation =
                move_citation(&txn, &citation, CitationStatus::Pending, CitationStatus::Active, principal, None)
                    .await?;
            let fact = bump_published(&txn, fact.id).await?;
            finish(&txn, &fact, action, principal, comment).await?;
            CitationOutcome { citation, fact }
        }
        CitationDecision::Reject => {
            let citation =
                move_citation(&txn, &citation, CitationStatus::Pending, CitationStatus::Rejected, principal, comment)
                    .await?;
            CitationOutcome { citation, fact }
        }
    };
    txn.commit().await?;
    Ok(outcome)
}

/// Withdraws a published citation found wrong: it stays readable and in history, marked, with
/// its reason, and no longer counts. The fact's last active citation cannot be withdrawn.
pub async fn withdraw_citation<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &Principal,
    id: CitationId,
    reason: String,
) -> DomainResult<CitationOutcome> {
    let (citation, fact) = citation_with_fact(db, principal, id).await?;
    authorize_on_citation(transition(fact.status, FactAction::WithdrawCitation)?, principal, &fact, None)?;
    if citation.status != CitationStatus::Active {
        return Err(not_in_status(&citation, CitationStatus::Active, "withdrawn"));
    }
    let mut v = Violations::new();
    let reason = rules::text(&mut v, "reason", &reason, 1, 2000);
    v.into_result()?;
    let txn = db.begin().await?;
    // The fact's row is locked first, so two withdrawals of its last two citations queue and
    // the second counts what the first left.
    let fact = bump_published(&txn, fact.id).await?;
    let active = citation::Entity::find()
        .filter(citation::Column::FactId.eq(fact.id))
        .filter(citation::Column::Status.eq(CitationStatus::Active))
        .count(&txn)
        .await?;
    if active <= 1 {
        return Err(DomainError::invalid(
            "citationId",
            "is the fact's last active citation: a fact cannot stand without evidence; retract the fact instead",
        ));
    }
    let citation = move_citation(
        &txn,
        &citation,
        CitationStatus::Active,
        CitationStatus::Withdrawn,
        principal,
        Some(reason.clone()),
    )
    .await?;
    finish(&txn, &fact, FactAction::WithdrawCitation, principal, Some(reason)).await?;
    txn.commit().await?;
    Ok(CitationOutcome { citation, fact })
}

const PENDING_CURSOR: &str = "pending-citation";

/// The cursor pointing at `citation` among the pending ones (oldest first).
pub fn pending_cursor_of(citation: &citation::Model) -> Cursor {
    id_cursor(PENDING_CURSOR, citation.id)
}

/// One page of the citations waiting for a reviewer, oldest first (ids are UUIDv7).
pub async fn list_pending_citations<C: ConnectionTrait>(
    db: &C,
    page: &PageRequest,
) -> DomainResult<Page<citation::Model>> {
    let select = citation::Entity::find().filter(citation::Column::Status.eq(CitationStatus::Pending));
    page_by_id(db, select, citation::Column::Id, PENDING_CURSOR, true, page).await
}

/// How many citations wait for a reviewer.
pub async fn count_pending_citations<C: ConnectionTrait>(db: &C) -> DomainResult<u64> {
    Ok(citation::Entity::find().filter(citation::Column::Status.eq(CitationStatus::Pending)).count(db).await?)
}
