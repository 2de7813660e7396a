//! The editorial workflow of a fact. The state machine is the `TRANSITIONS` table: every
//! mutation looks its step up there, which also says who may take it. Every write names the
//! version it read; the version guard in the UPDATE makes concurrent edits conflict instead of
//! overwriting, and the revision is appended in the same transaction as the change.
use entity::enums::FactStatus::{self, ChangesRequested, Draft, InReview, Published, Rejected, Retracted, Superseded};
use entity::{citation, fact};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    TransactionTrait, UpdateMany,
};
use uuid::Uuid;

use super::catalog::stale;
use super::fact_input::{validate_fact, write_parts, FactInput, ValidFactInput};
use super::facts::refresh_search_document;
use super::history::{append_revision, RevisionAction};
use super::idempotency::{Claim, IdempotencyKey};
use super::{now, rules, DomainError, DomainResult, Violations};
use crate::auth::Principal;

/// A step a caller can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactAction {
    Edit,
    Submit,
    Approve,
    RequestChanges,
    Reject,
    Retract,
    /// Propose a correction (a new fact) of a published one.
    Correct,
    /// Turn a published fact SUPERSEDED: only as part of approving its correction.
    Supersede,
    Delete,
}

impl FactAction {
    pub fn verb(self) -> &'static str {
        match self {
            Self::Edit => "edit",
            Self::Submit => "submit",
            Self::Approve => "approve",
            Self::RequestChanges => "request changes to",
            Self::Reject => "reject",
            Self::Retract => "retract",
            Self::Correct => "supersede",
            Self::Supersede => "mark superseded",
            Self::Delete => "delete",
        }
    }

    /// The name of the step as the API shows it in INVALID_TRANSITION errors.
    pub fn name(self) -> &'static str {
        match self {
            Self::Edit => "EDIT",
            Self::Submit => "SUBMIT",
            Self::Approve => "APPROVE",
            Self::RequestChanges => "REQUEST_CHANGES",
            Self::Reject => "REJECT",
            Self::Retract => "RETRACT",
            Self::Correct => "SUPERSEDE",
            Self::Supersede => "SUPERSEDED_BY_CORRECTION",
            Self::Delete => "DELETE",
        }
    }

    pub fn revision(self) -> RevisionAction {
        match self {
            Self::Edit | Self::Correct => RevisionAction::Updated,
            Self::Submit => RevisionAction::Submitted,
            Self::Approve => RevisionAction::Approved,
            Self::RequestChanges => RevisionAction::ChangesRequested,
            Self::Reject => RevisionAction::Rejected,
            Self::Retract => RevisionAction::Retracted,
            Self::Supersede => RevisionAction::Superseded,
            Self::Delete => RevisionAction::Deleted,
        }
    }
}

/// Who may take a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// The fact's author.
    Author,
    /// A reviewer or admin who neither wrote nor last edited the fact (four eyes).
    OtherReviewer,
    /// Any reviewer or admin.
    Reviewer,
    /// Any signed-in user.
    Anyone,
    /// Nobody directly: the server takes the step as part of another.
    Server,
}

/// One row of the state machine.
#[derive(Debug, Clone, Copy)]
pub struct Transition {
    pub from: FactStatus,
    pub action: FactAction,
    /// `None`: the fact is deleted.
    pub to: Option<FactStatus>,
    pub who: Who,
}

const fn step(from: FactStatus, action: FactAction, to: Option<FactStatus>, who: Who) -> Transition {
    Transition { from, action, to, who }
}

/// The whole workflow of DESIGN.md.
pub const TRANSITIONS: &[Transition] = &[
    step(Draft, FactAction::Edit, Some(Draft), Who::Author),
    step(Draft, FactAction::Submit, Some(InReview), Who::Author),
    step(Draft, FactAction::Delete, None, Who::Author),
    step(ChangesRequested, FactAction::Edit, Some(ChangesRequested), Who::Author),
    step(ChangesRequested, FactAction::Submit, Some(InReview), Who::Author),
    step(InReview, FactAction::Approve, Some(Published), Who::OtherReviewer),
    step(InReview, FactAction::RequestChanges, Some(ChangesRequested), Who::OtherReviewer),
    step(InReview, FactAction::Reject, Some(Rejected), Who::OtherReviewer),
    step(Published, FactAction::Retract, Some(Retracted), Who::Reviewer),
    step(Published, FactAction::Correct, Some(Published), Who::Anyone),
    step(Published, FactAction::Supersede, Some(Superseded), Who::Server),
];

/// The row for `action` from `from`, or INVALID_TRANSITION listing what `from` allows.
pub fn transition(from: FactStatus, action: FactAction) -> DomainResult<&'static Transition> {
    TRANSITIONS.iter().find(|t| t.from == from && t.action == action).ok_or_else(|| DomainError::InvalidTransition {
        from: from.as_str(),
        action: action.verb(),
        allowed: TRANSITIONS
            .iter()
            .filter(|t| t.from == from && t.who != Who::Server)
            .map(|t| t.action.name())
            .collect(),
    })
}

/// Whether `principal` may take `step` on `fact`; FORBIDDEN says why not.
pub fn authorize(step: &Transition, principal: &Principal, fact: &fact::Model) -> DomainResult<()> {
    let allowed = match step.who {
        Who::Author => principal.user_id == fact.created_by,
        Who::Reviewer => principal.can_review(),
        Who::OtherReviewer => {
            if principal.can_review()
                && (principal.user_id == fact.created_by || principal.user_id == fact.last_edited_by)
            {
                return Err(DomainError::Forbidden(
                    "nobody may review a fact they wrote or last edited: another reviewer must".into(),
                ));
            }
            principal.can_review()
        }
        Who::Anyone => true,
        Who::Server => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(DomainError::Forbidden(match step.who {
            Who::Author => format!("only the author may {} this fact", step.action.verb()),
            _ => format!("only a reviewer or an admin may {} a fact", step.action.verb()),
        }))
    }
}

/// Who may read a fact that is not public: its author, reviewers and admins.
pub fn can_read(principal: Option<&Principal>, fact: &fact::Model) -> bool {
    let public = matches!(fact.status, Published | Retracted | Superseded);
    public || principal.is_some_and(|p| p.can_review() || p.user_id == fact.created_by)
}

/// Loads a fact the principal may see (others' unpublished facts are NOT_FOUND, not FORBIDDEN,
/// so their existence does not leak).
pub async fn find_fact<C: ConnectionTrait>(db: &C, principal: &Principal, id: Uuid) -> DomainResult<fact::Model> {
    fact::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|f| can_read(Some(principal), f))
        .ok_or_else(|| DomainError::NotFound("fact".into()))
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
        return Err(DomainError::Conflict(format!(
            "the fact changed since version {expected_version} was read; reload and retry"
        )));
    }
    fact::Entity::find_by_id(fact.id).one(txn).await?.ok_or_else(|| DomainError::NotFound("fact".into()))
}

async fn finish<C: ConnectionTrait>(
    txn: &C,
    fact: &fact::Model,
    action: FactAction,
    principal: &Principal,
    comment: Option<String>,
) -> DomainResult<()> {
    refresh_search_document(txn, fact.id).await?;
    append_revision(txn, fact, action.revision(), Some(principal.user_id), comment).await?;
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
        created_by: Set(principal.user_id),
        last_edited_by: Set(principal.user_id),
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
pub async fn create_fact(
    db: &DatabaseConnection,
    principal: &Principal,
    input: FactInput,
    idempotency: Option<IdempotencyKey>,
    supersedes: Option<(Uuid, i32)>,
) -> DomainResult<fact::Model> {
    if let Some(key) = &idempotency {
        if let Some(response) = key.lookup(db).await? {
            return replayed_fact(db, &response).await;
        }
    }
    if let Some((old_id, expected_version)) = supersedes {
        let old = find_fact(db, principal, old_id).await?;
        check_version(&old, expected_version)?;
        authorize(transition(old.status, FactAction::Correct)?, principal, &old)?;
    }
    let valid = validate_fact(db, input).await?;
    let txn = db.begin().await?;
    if let Some(key) = &idempotency {
        if let Claim::Replay(response) = key.claim(&txn).await? {
            txn.commit().await?;
            return replayed_fact(db, &response).await;
        }
    }
    let id = Uuid::now_v7();
    fact::Entity::insert(fact_row(id, &valid, principal, supersedes.map(|s| s.0))).exec_without_returning(&txn).await?;
    write_parts(&txn, id, &valid).await?;
    let created = fact::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| DomainError::NotFound("fact".into()))?;
    refresh_search_document(&txn, id).await?;
    append_revision(&txn, &created, RevisionAction::Created, Some(principal.user_id), None).await?;
    if let Some(key) = &idempotency {
        key.complete(&txn, &id.to_string()).await?;
    }
    txn.commit().await?;
    Ok(created)
}

/// The fact an earlier use of an idempotency key created.
async fn replayed_fact(db: &DatabaseConnection, response: &str) -> DomainResult<fact::Model> {
    let id = Uuid::parse_str(response).map_err(|_| DomainError::Internal("bad idempotent response".into()))?;
    fact::Entity::find_by_id(id).one(db).await?.ok_or_else(|| DomainError::NotFound("fact".into()))
}

/// Replaces the content of a draft or of a fact sent back for changes.
pub async fn update_fact(
    db: &DatabaseConnection,
    principal: &Principal,
    id: Uuid,
    expected_version: i32,
    input: FactInput,
) -> DomainResult<fact::Model> {
    let current = find_fact(db, principal, id).await?;
    check_version(&current, expected_version)?;
    let rule = transition(current.status, FactAction::Edit)?;
    authorize(rule, principal, &current)?;
    let valid = validate_fact(db, input).await?;
    let txn = db.begin().await?;
    let updated = guarded_update(&txn, &current, expected_version, |q| {
        q.col_expr(fact::Column::KindKey, Expr::val(valid.kind.clone()))
            .col_expr(fact::Column::Summary, Expr::val(valid.summary.clone()))
            .col_expr(fact::Column::Modality, Expr::val(valid.modality.as_str()))
            .col_expr(fact::Column::OccurredOn, Expr::val(valid.occurred_on))
            .col_expr(fact::Column::OccurredPrecision, Expr::val(valid.occurred_precision.as_str()))
            .col_expr(fact::Column::OccurredUntil, Expr::val(valid.occurred_until))
            .col_expr(fact::Column::Country, Expr::val(valid.country.clone()))
            .col_expr(fact::Column::LastEditedBy, Expr::val(principal.user_id))
    })
    .await?;
    write_parts(&txn, id, &valid).await?;
    finish(&txn, &updated, FactAction::Edit, principal, None).await?;
    txn.commit().await?;
    Ok(updated)
}

/// The decision a reviewer takes on a submitted fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewDecision {
    Approve,
    RequestChanges,
    Reject,
}

/// Submits, reviews or retracts: the steps that change only the status.
pub async fn take_step(
    db: &DatabaseConnection,
    principal: &Principal,
    id: Uuid,
    expected_version: i32,
    action: FactAction,
    comment: Option<String>,
) -> DomainResult<fact::Model> {
    let current = find_fact(db, principal, id).await?;
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
                .col_expr(fact::Column::ReviewedBy, Expr::val(principal.user_id))
                .col_expr(fact::Column::PublishedAt, Expr::val(at)),
            FactAction::RequestChanges | FactAction::Reject => {
                q.col_expr(fact::Column::ReviewedBy, Expr::val(principal.user_id))
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
    append_revision(txn, &updated, RevisionAction::Superseded, Some(principal.user_id), None).await?;
    Ok(())
}

/// Deletes a draft; its history stays in the revision log, ending with a DELETED revision.
pub async fn delete_draft(
    db: &DatabaseConnection,
    principal: &Principal,
    id: Uuid,
    expected_version: i32,
) -> DomainResult<Uuid> {
    let current = find_fact(db, principal, id).await?;
    check_version(&current, expected_version)?;
    authorize(transition(current.status, FactAction::Delete)?, principal, &current)?;
    let txn = db.begin().await?;
    let last = guarded_update(&txn, &current, expected_version, |q| q).await?;
    append_revision(&txn, &last, RevisionAction::Deleted, Some(principal.user_id), None).await?;
    fact::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_lists_what_it_allows() {
        let err = transition(Published, FactAction::Submit).unwrap_err();
        match err {
            DomainError::InvalidTransition { from, allowed, .. } => {
                assert_eq!(from, "PUBLISHED");
                assert_eq!(allowed, vec!["RETRACT", "SUPERSEDE"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(transition(Rejected, FactAction::Edit).is_err());
        assert!(transition(Retracted, FactAction::Retract).is_err());
        assert_eq!(transition(InReview, FactAction::Approve).unwrap().to, Some(Published));
    }
}
