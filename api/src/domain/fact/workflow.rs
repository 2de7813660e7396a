//! The editorial workflow of a fact. The state machine is the `TRANSITIONS` table: every write
//! in `store` looks its step up there, which also says who may take it (`authorize`); who may
//! read a fact that is not public is decided here too (`can_read`, `find_fact`).
use entity::enums::FactStatus::{self, ChangesRequested, Draft, InReview, Published, Rejected, Retracted, Superseded};
use entity::fact;
use sea_orm::{ConnectionTrait, EntityTrait};

use super::history::RevisionAction;
use crate::domain::account::Principal;
use crate::domain::ids::FactId;
use crate::domain::{DomainError, DomainResult};

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
    /// Propose a citation for a published fact: pending until a reviewer decides.
    ProposeCitation,
    /// Approve a pending citation: it becomes evidence of the same fact.
    ApproveCitation,
    /// Refuse a pending citation.
    RejectCitation,
    /// Withdraw a published citation found wrong.
    WithdrawCitation,
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
            Self::ProposeCitation => "propose a citation for",
            Self::ApproveCitation => "approve a citation of",
            Self::RejectCitation => "reject a citation of",
            Self::WithdrawCitation => "withdraw a citation of",
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
            Self::ProposeCitation => "PROPOSE_CITATION",
            Self::ApproveCitation => "APPROVE_CITATION",
            Self::RejectCitation => "REJECT_CITATION",
            Self::WithdrawCitation => "WITHDRAW_CITATION",
        }
    }

    /// The revision the step appends; `None` for the steps that leave the fact's evidence as
    /// it was (a proposal, or its rejection, is recorded on the citation itself).
    pub fn revision(self) -> Option<RevisionAction> {
        Some(match self {
            Self::Edit | Self::Correct => RevisionAction::Updated,
            Self::Submit => RevisionAction::Submitted,
            Self::Approve => RevisionAction::Approved,
            Self::RequestChanges => RevisionAction::ChangesRequested,
            Self::Reject => RevisionAction::Rejected,
            Self::Retract => RevisionAction::Retracted,
            Self::Supersede => RevisionAction::Superseded,
            Self::Delete => RevisionAction::Deleted,
            Self::ApproveCitation => RevisionAction::CitationAdded,
            Self::WithdrawCitation => RevisionAction::CitationWithdrawn,
            Self::ProposeCitation | Self::RejectCitation => return None,
        })
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
    /// A reviewer or admin who did not propose the citation in question (four eyes).
    OtherThanProposer,
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

/// The whole editorial workflow: every step from every status, and who may take it.
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
    step(Published, FactAction::ProposeCitation, Some(Published), Who::Anyone),
    step(Published, FactAction::ApproveCitation, Some(Published), Who::OtherThanProposer),
    step(Published, FactAction::RejectCitation, Some(Published), Who::OtherThanProposer),
    step(Published, FactAction::WithdrawCitation, Some(Published), Who::Reviewer),
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
    authorize_on_citation(step, principal, fact, None)
}

/// `authorize` for a step on one of the fact's citations, proposed by `proposed_by`.
pub fn authorize_on_citation(
    step: &Transition,
    principal: &Principal,
    fact: &fact::Model,
    proposed_by: Option<uuid::Uuid>,
) -> DomainResult<()> {
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
        Who::OtherThanProposer => {
            if principal.can_review() && proposed_by.is_some_and(|proposer| principal.user_id == proposer) {
                return Err(DomainError::Forbidden(
                    "nobody may decide on a citation they proposed: another reviewer must".into(),
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
pub async fn find_fact<C: ConnectionTrait>(db: &C, principal: &Principal, id: FactId) -> DomainResult<fact::Model> {
    fact::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .filter(|f| can_read(Some(principal), f))
        .ok_or_else(|| DomainError::NotFound("fact".into()))
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
                assert_eq!(
                    allowed,
                    vec![
                        "RETRACT",
                        "SUPERSEDE",
                        "PROPOSE_CITATION",
                        "APPROVE_CITATION",
                        "REJECT_CITATION",
                        "WITHDRAW_CITATION"
                    ]
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(transition(Rejected, FactAction::Edit).is_err());
        assert!(transition(Retracted, FactAction::Retract).is_err());
        assert_eq!(transition(InReview, FactAction::Approve).unwrap().to, Some(Published));
    }
}
