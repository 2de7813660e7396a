//! What clients send about facts: the fact an editor writes, the filters and the orderings of
//! lists, and a reviewer's decision. Each input is decoded here, once, into the domain's types;
//! an id that cannot be read is reported at its path beside the decoded input.
use crate::graphql::scalars::CalendarDate;
use async_graphql::{Enum, InputObject, ID};
use entity::enums::{Attribution, DatePrecision, FactStatus, Modality, ParticipantRole};
use sea_orm::DatabaseConnection;

use crate::domain::fact::evidence::CitationDecision;
use crate::domain::fact::query::{FactFilter, FactOrder, FactOrderField, ValidFactFilter};
use crate::domain::fact::{
    CitationInput as DomainCitation, FactAction, FactInput as DomainFactInput, ParticipantInput as DomainParticipant,
    QualifierInput as DomainQualifier,
};
use crate::domain::ids::{ActorId, SourceId};
use crate::domain::Violations;
use crate::graphql::error::Result;
use crate::graphql::ids;

/// An actor's part in a fact.
#[derive(InputObject, Debug)]
pub struct ParticipantInput {
    /// Global id of the Actor.
    pub actor: ID,
    /// The part the actor plays (the fact kind says which roles it admits).
    pub role: ParticipantRole,
    /// The title the actor held at the time, e.g. "Defence Minister".
    pub title: Option<String>,
}

/// A key/value detail of a fact.
#[derive(InputObject, Debug)]
pub struct QualifierInput {
    /// A qualifier key the fact kind allows.
    pub key: String,
    /// Its value.
    pub value: String,
}

/// A quote linking the fact to a source.
#[derive(InputObject, Debug)]
pub struct CitationInput {
    /// Global id of the Source.
    pub source: ID,
    /// The quote, verbatim; when the source has a snapshot it must be found there.
    pub quote: String,
    /// Whether the source states it directly or relays another's statement.
    pub attribution: Attribution,
    /// Global id of the Actor whose words these are, when not the source's own.
    pub attributed_to: Option<ID>,
    /// For RELAYED citations: global id of the Actor whose report is relayed.
    pub relayed_from: Option<ID>,
}

impl CitationInput {
    /// The domain's citation, its ids decoded; a bad one is reported at `path` in `v`.
    pub fn into_domain(self, path: &str, v: &mut Violations) -> DomainCitation {
        DomainCitation {
            source: ids::decode_in(&self.source, format!("{path}.source"), v),
            quote: self.quote,
            attribution: self.attribution,
            attributed_to: self.attributed_to.map(|a| ids::decode_in(&a, format!("{path}.attributedTo"), v)),
            relayed_from: self.relayed_from.map(|a| ids::decode_in(&a, format!("{path}.relayedFrom"), v)),
        }
    }
}

/// A fact as an editor writes it. Errors name fields by their path here, e.g. `citations[1].quote`.
#[derive(InputObject, Debug)]
pub struct FactInput {
    /// Key of the fact kind, e.g. `diplomatic.phone_call`.
    pub kind: String,
    /// A neutral one-sentence summary (1–500 characters).
    pub summary: String,
    /// Whether it happened, was stated, intended, offered on a condition or denied.
    pub modality: Modality,
    /// When it happened (first day of the period for MONTH/YEAR precision); not in the future.
    pub occurred_on: CalendarDate,
    /// How exactly the date is known.
    pub occurred_precision: DatePrecision,
    /// When it ended, for facts spanning a period.
    pub occurred_until: Option<CalendarDate>,
    /// ISO 3166-1 alpha-2 code of the country where it happened.
    pub country: Option<String>,
    /// The actors involved (at least one).
    pub participants: Vec<ParticipantInput>,
    /// Details such as `condition` or `facility`.
    #[graphql(default)]
    pub qualifiers: Vec<QualifierInput>,
    /// The quotes that source it; at least one is needed to submit it for review.
    #[graphql(default)]
    pub citations: Vec<CitationInput>,
}

impl FactInput {
    /// The domain's input, its ids decoded; a bad id is reported in the violations returned
    /// beside it, at its path in this input.
    pub fn into_domain(self) -> (DomainFactInput, Violations) {
        let mut v = Violations::new();
        let participants = self
            .participants
            .into_iter()
            .enumerate()
            .map(|(i, p)| DomainParticipant {
                actor: ids::decode_in(&p.actor, format!("participants[{i}].actor"), &mut v),
                role: p.role,
                title: p.title,
            })
            .collect();
        let citations = self
            .citations
            .into_iter()
            .enumerate()
            .map(|(i, c)| c.into_domain(&format!("citations[{i}]"), &mut v))
            .collect();
        let input = DomainFactInput {
            kind: self.kind,
            summary: self.summary,
            modality: self.modality,
            occurred_on: self.occurred_on.0,
            occurred_precision: self.occurred_precision,
            occurred_until: self.occurred_until.map(|date| date.0),
            country: self.country,
            participants,
            qualifiers: self.qualifiers.into_iter().map(|q| DomainQualifier { key: q.key, value: q.value }).collect(),
            citations,
        };
        (input, v)
    }
}

/// A new draft fact: the fact's fields, and a key that makes retries safe.
#[derive(InputObject)]
pub struct CreateFactInput {
    /// The fact.
    #[graphql(flatten)]
    pub fact: FactInput,
    /// Makes retries safe: the same key and input return the first result.
    pub idempotency_key: Option<String>,
}

/// New content for a draft or sent-back fact, based on the version read.
#[derive(InputObject)]
pub struct UpdateFactInput {
    /// Global id of the Fact.
    pub id: ID,
    /// The version the change is based on (CONFLICT if stale).
    pub expected_version: i32,
    /// The new content.
    #[graphql(flatten)]
    pub fact: FactInput,
}

/// A correction of a published fact: the corrected fact's fields.
#[derive(InputObject)]
pub struct SupersedeFactInput {
    /// Global id of the published Fact to correct.
    pub id: ID,
    /// The version of the published fact the correction is based on.
    pub expected_version: i32,
    /// The corrected fact.
    #[graphql(flatten)]
    pub fact: FactInput,
    /// Makes retries safe: the same key and input return the first result.
    pub idempotency_key: Option<String>,
}

/// A fact submitted for review.
#[derive(InputObject)]
pub struct SubmitFactInput {
    /// Global id of the Fact.
    pub id: ID,
    /// The version the step is based on.
    pub expected_version: i32,
    /// A note for the reviewer.
    pub comment: Option<String>,
}

/// A reviewer's decision on a submitted fact.
#[derive(InputObject)]
pub struct ReviewFactInput {
    /// Global id of the Fact.
    pub id: ID,
    /// The version the decision is based on.
    pub expected_version: i32,
    /// The decision.
    pub decision: ReviewDecision,
    /// Why; required when sending back or rejecting.
    pub comment: Option<String>,
}

/// The retraction of a published fact.
#[derive(InputObject)]
pub struct RetractFactInput {
    /// Global id of the Fact.
    pub id: ID,
    /// The version the step is based on.
    pub expected_version: i32,
    /// Why it is retracted (shown to the public).
    pub reason: String,
}

/// The deletion of a draft.
#[derive(InputObject)]
pub struct DeleteDraftInput {
    /// Global id of the Fact.
    pub id: ID,
    /// The version the deletion is based on.
    pub expected_version: i32,
}

/// Filters over facts. Lists match any of their values; different fields must all match.
#[derive(InputObject, Default)]
pub struct FactFilterInput {
    /// Only these kinds (keys such as `diplomatic.phone_call`).
    pub kinds: Option<Vec<String>>,
    /// Only kinds of these categories (such as `military`).
    pub categories: Option<Vec<String>>,
    /// Facts in which any of these actors takes part, in any role.
    pub participants: Option<Vec<ID>>,
    /// Facts whose subject is any of these actors.
    pub subjects: Option<Vec<ID>>,
    /// Facts whose object is any of these actors.
    pub objects: Option<Vec<ID>>,
    /// Facts in which every one of these actors takes part: "relations between Russia and Syria".
    pub all_of: Option<Vec<ID>>,
    /// ISO 3166-1 alpha-2 code of the country where the fact happened.
    pub country: Option<String>,
    /// Facts that occurred on or after this date.
    pub occurred_from: Option<CalendarDate>,
    /// Facts that occurred on or before this date.
    pub occurred_to: Option<CalendarDate>,
    /// Facts citing any of these sources.
    pub sources: Option<Vec<ID>>,
    /// Facts citing a source published by any of these outlets.
    pub outlets: Option<Vec<ID>>,
    /// Full-text search over summaries, qualifiers and quotes; every word must match (stemmed).
    pub search: Option<String>,
    /// Only facts with at least one quote verified against its source's snapshot.
    pub verified_only: Option<bool>,
    /// Only facts in these statuses. The public record holds PUBLISHED, RETRACTED and
    /// SUPERSEDED facts (the default: all three); ask for `[PUBLISHED]` for current facts only.
    pub statuses: Option<Vec<FactStatus>>,
}

impl FactFilterInput {
    /// Decodes ids and checks everything, reporting all problems at once under `prefix`.
    pub async fn into_domain(self, db: &DatabaseConnection, prefix: &str) -> Result<ValidFactFilter> {
        let mut violations = Violations::new();
        let mut actors = |ids: Option<Vec<ID>>, name: &str| {
            ids::decode_list::<ActorId>(&ids.unwrap_or_default(), &format!("{prefix}.{name}"), &mut violations)
        };
        let participants = actors(self.participants, "participants");
        let subjects = actors(self.subjects, "subjects");
        let objects = actors(self.objects, "objects");
        let all_of = actors(self.all_of, "allOf");
        let outlets = actors(self.outlets, "outlets");
        let sources = ids::decode_list::<SourceId>(
            &self.sources.unwrap_or_default(),
            &format!("{prefix}.sources"),
            &mut violations,
        );
        let filter = FactFilter {
            participants,
            subjects,
            objects,
            all_of,
            outlets,
            sources,
            kinds: self.kinds.unwrap_or_default(),
            categories: self.categories.unwrap_or_default(),
            country: self.country,
            occurred_from: self.occurred_from.map(|date| date.0),
            occurred_to: self.occurred_to.map(|date| date.0),
            search: self.search,
            verified_only: self.verified_only.unwrap_or(false),
            statuses: self.statuses.unwrap_or_default(),
        };
        Ok(filter.validate(db, prefix, violations).await?)
    }
}

/// Fields facts can be sorted by.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
#[graphql(name = "FactOrderField")]
pub enum FactOrderFieldInput {
    /// When the fact happened (first day of the period for MONTH or YEAR precision).
    #[default]
    OccurredAt,
    /// When the fact was published.
    PublishedAt,
}

/// Sort direction.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderDirection {
    /// Oldest first.
    Asc,
    /// Newest first.
    #[default]
    Desc,
}

/// How to sort facts. Ties are broken by id, so the order is total and pagination stable.
#[derive(InputObject, Default)]
pub struct FactOrderInput {
    /// The field to sort by.
    #[graphql(default)]
    pub field: FactOrderFieldInput,
    /// The direction.
    #[graphql(default)]
    pub direction: OrderDirection,
}

impl From<FactOrderInput> for FactOrder {
    fn from(input: FactOrderInput) -> Self {
        FactOrder {
            field: match input.field {
                FactOrderFieldInput::OccurredAt => FactOrderField::OccurredAt,
                FactOrderFieldInput::PublishedAt => FactOrderField::PublishedAt,
            },
            ascending: input.direction == OrderDirection::Asc,
        }
    }
}

/// A reviewer's decision.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum ReviewDecision {
    /// Publish the fact.
    Approve,
    /// Send it back to its author (a comment is required).
    RequestChanges,
    /// Refuse it for good (a comment is required).
    Reject,
}

impl From<ReviewDecision> for FactAction {
    fn from(decision: ReviewDecision) -> Self {
        match decision {
            ReviewDecision::Approve => FactAction::Approve,
            ReviewDecision::RequestChanges => FactAction::RequestChanges,
            ReviewDecision::Reject => FactAction::Reject,
        }
    }
}

/// A citation proposed as further evidence of a published fact.
#[derive(InputObject)]
pub struct ProposeCitationInput {
    /// Global id of the published Fact.
    pub fact_id: ID,
    /// The citation; errors name its fields as `citation.quote` and so on.
    pub citation: CitationInput,
    /// Makes retries safe: the same key and input return the first result.
    pub idempotency_key: Option<String>,
}

/// A reviewer's decision on a pending citation.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(name = "CitationDecision")]
pub enum CitationDecisionInput {
    /// Make it evidence of the fact.
    Approve,
    /// Refuse it (a comment is required).
    Reject,
}

impl From<CitationDecisionInput> for CitationDecision {
    fn from(decision: CitationDecisionInput) -> Self {
        match decision {
            CitationDecisionInput::Approve => CitationDecision::Approve,
            CitationDecisionInput::Reject => CitationDecision::Reject,
        }
    }
}

/// A decision on a pending citation, by a reviewer who did not propose it.
#[derive(InputObject)]
pub struct ReviewCitationInput {
    /// Global id of the pending Citation.
    pub citation_id: ID,
    /// The decision.
    pub decision: CitationDecisionInput,
    /// Why; required when rejecting.
    pub comment: Option<String>,
}

/// The withdrawal of a published citation found wrong.
#[derive(InputObject)]
pub struct WithdrawCitationInput {
    /// Global id of the active Citation.
    pub citation_id: ID,
    /// Why it is withdrawn (shown to the public beside the citation).
    pub reason: String,
}
