//! The editorial write path: catalogue writes, fact writes and the review workflow.
use async_graphql::{Context, Enum, InputObject, Object, ID};
use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::{ActorKind, Attribution, DatePrecision, Modality, ParticipantRole, SourceKind};
use sea_orm::DatabaseConnection;

use super::actors::Actor;
use super::auth::require_principal;
use super::error::Result;
use super::facts::{fact_connection_in, Fact, FactConnection, FactFilterInput, FieldChange};
use super::ids;
use super::sources::Source;
use crate::auth::Principal;
use crate::domain::catalog::{self, ActorInput as DomainActorInput, SourceInput as DomainSourceInput};
use crate::domain::fact_input::{
    CitationInput as DomainCitation, FactInput as DomainFactInput, ParticipantInput as DomainParticipant,
    QualifierInput as DomainQualifier,
};
use crate::domain::facts::{FactOrder, FactOrderField, Visibility};
use crate::domain::history::{diff_snapshots, revisions_of};
use crate::domain::idempotency::IdempotencyKey;
use crate::domain::workflow::{self, find_fact, FactAction};
use crate::domain::{DomainError, Violations};

fn db<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}

/// An actor as an editor describes it.
#[derive(InputObject, Debug)]
pub struct ActorInput {
    /// Name as usually written in English (1–200 characters).
    pub name: String,
    /// Short description (at most 2000 characters).
    pub description: Option<String>,
    /// What sort of actor this is.
    pub kind: ActorKind,
    /// ISO 3166-1 alpha-2 code, where one applies.
    pub country: Option<String>,
    /// Wikidata item id such as `Q858`; unique across actors.
    pub wikidata_qid: Option<String>,
    /// Other names the actor is known by (at most 50).
    #[graphql(default)]
    pub aliases: Vec<String>,
}

impl From<ActorInput> for DomainActorInput {
    fn from(input: ActorInput) -> Self {
        Self {
            name: input.name,
            description: input.description,
            kind: input.kind,
            country: input.country,
            wikidata_qid: input.wikidata_qid,
            aliases: input.aliases,
        }
    }
}

/// A source document as an editor records it.
#[derive(InputObject, Debug)]
pub struct SourceInput {
    /// The document's http(s) URL; sources are unique by its canonical form.
    pub url: String,
    /// Title of the document.
    pub title: String,
    /// What sort of document it is.
    pub kind: SourceKind,
    /// Global id of the outlet (an Actor) that published it.
    pub outlet: Option<ID>,
    /// When it was published (first day of the period for MONTH/YEAR precision).
    pub published_on: Option<NaiveDate>,
    /// How exactly the publication date is known.
    pub published_precision: Option<DatePrecision>,
    /// When it was retrieved; now when omitted.
    pub retrieved_at: Option<DateTime<Utc>>,
    /// Language tag such as `en`.
    pub language: Option<String>,
    /// Address of an archived copy.
    pub archive_url: Option<String>,
    /// The document's text; quotes citing this source are verified against it.
    pub snapshot: Option<String>,
}

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
    pub occurred_on: NaiveDate,
    /// How exactly the date is known.
    pub occurred_precision: DatePrecision,
    /// When it ended, for facts spanning a period.
    pub occurred_until: Option<NaiveDate>,
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
    fn into_domain(self) -> DomainFactInput {
        let mut v = Violations::new();
        let mut id = |raw: &ID, type_name: &str, path: String| match ids::decode_uuid(raw, type_name, &path) {
            Ok(uuid) => Some(uuid),
            Err(crate::domain::DomainError::InvalidInput(found)) => {
                for violation in found {
                    v.add(violation.field, violation.message);
                }
                // A placeholder that matches nothing; the violation above stands for it.
                Some(uuid::Uuid::nil())
            }
            Err(_) => None,
        };
        let nil = uuid::Uuid::nil();
        let participants = self
            .participants
            .iter()
            .enumerate()
            .map(|(i, p)| DomainParticipant {
                actor_id: id(&p.actor, ids::ACTOR, format!("participants[{i}].actor")).unwrap_or(nil),
                role: p.role,
                title: p.title.clone(),
            })
            .collect();
        let citations = self
            .citations
            .iter()
            .enumerate()
            .map(|(i, c)| DomainCitation {
                source_id: id(&c.source, ids::SOURCE, format!("citations[{i}].source")).unwrap_or(nil),
                quote: c.quote.clone(),
                attribution: c.attribution,
                attributed_to: c
                    .attributed_to
                    .as_ref()
                    .and_then(|a| id(a, ids::ACTOR, format!("citations[{i}].attributedTo"))),
                relayed_from: c
                    .relayed_from
                    .as_ref()
                    .and_then(|a| id(a, ids::ACTOR, format!("citations[{i}].relayedFrom"))),
            })
            .collect();
        DomainFactInput {
            decode_violations: v.into_violations(),
            kind: self.kind,
            summary: self.summary,
            modality: self.modality,
            occurred_on: self.occurred_on,
            occurred_precision: self.occurred_precision,
            occurred_until: self.occurred_until,
            country: self.country,
            participants,
            qualifiers: self.qualifiers.into_iter().map(|q| DomainQualifier { key: q.key, value: q.value }).collect(),
            citations,
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

fn idempotency(
    principal: &Principal,
    operation: &'static str,
    key: Option<String>,
    request: &impl std::fmt::Debug,
) -> Result<Option<IdempotencyKey>> {
    Ok(match key {
        Some(key) => {
            Some(IdempotencyKey::new(principal.user_id.to_string(), operation, &key, &format!("{request:?}"))?)
        }
        None => None,
    })
}

fn fact_id(id: &ID) -> Result<uuid::Uuid> {
    Ok(ids::decode_uuid(id, ids::FACT, "id")?)
}

#[derive(Default)]
pub struct EditingMutation;

#[Object]
impl EditingMutation {
    /// Records a new actor.
    async fn create_actor(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The actor.")] input: ActorInput,
    ) -> Result<Actor> {
        require_principal(ctx)?;
        Ok(Actor(catalog::create_actor(db(ctx), input.into()).await?))
    }

    /// Replaces an actor's description; `expectedVersion` is the version you read (CONFLICT if stale).
    async fn update_actor(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Actor.")] id: ID,
        #[graphql(desc = "The version the change is based on.")] expected_version: i32,
        #[graphql(desc = "The new description of the actor.")] input: ActorInput,
    ) -> Result<Actor> {
        require_principal(ctx)?;
        let id = ids::decode_uuid(&id, ids::ACTOR, "id")?;
        Ok(Actor(catalog::update_actor(db(ctx), id, expected_version, input.into()).await?))
    }

    /// Records a source, or returns the one already stored under the same canonical URL.
    async fn create_source(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The source.")] input: SourceInput,
        #[graphql(desc = "Makes retries safe: the same key and input return the first result.")]
        idempotency_key: Option<String>,
    ) -> Result<Source> {
        let principal = require_principal(ctx)?;
        let key = idempotency(principal, "createSource", idempotency_key, &input)?;
        let mut decode_violations = Vec::new();
        let outlet = match &input.outlet {
            Some(raw) => match ids::decode_uuid(raw, ids::ACTOR, "outlet") {
                Ok(id) => Some(id),
                Err(DomainError::InvalidInput(found)) => {
                    decode_violations.extend(found);
                    None
                }
                Err(error) => return Err(error.into()),
            },
            None => None,
        };
        let domain = DomainSourceInput {
            url: input.url,
            title: input.title,
            kind: input.kind,
            outlet_id: outlet,
            published_on: input.published_on,
            published_precision: input.published_precision,
            retrieved_at: input.retrieved_at,
            language: input.language,
            archive_url: input.archive_url,
            snapshot: input.snapshot,
            decode_violations,
        };
        Ok(Source(catalog::create_source(db(ctx), domain, principal.user_id, key).await?))
    }

    /// Creates a draft fact.
    async fn create_fact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fact.")] input: FactInput,
        #[graphql(desc = "Makes retries safe: the same key and input return the first result.")]
        idempotency_key: Option<String>,
    ) -> Result<Fact> {
        let principal = require_principal(ctx)?;
        let key = idempotency(principal, "createFact", idempotency_key, &input)?;
        let input = input.into_domain();
        Ok(Fact(workflow::create_fact(db(ctx), principal, input, key, None).await?))
    }

    /// Replaces a draft's (or a sent-back fact's) content. Author only.
    async fn update_fact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Fact.")] id: ID,
        #[graphql(desc = "The version the change is based on.")] expected_version: i32,
        #[graphql(desc = "The new content.")] input: FactInput,
    ) -> Result<Fact> {
        let principal = require_principal(ctx)?;
        let id = fact_id(&id)?;
        let input = input.into_domain();
        Ok(Fact(workflow::update_fact(db(ctx), principal, id, expected_version, input).await?))
    }

    /// Submits a draft or a sent-back fact for review (it needs at least one citation). Author only.
    async fn submit_fact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Fact.")] id: ID,
        #[graphql(desc = "The version the step is based on.")] expected_version: i32,
        #[graphql(desc = "A note for the reviewer.")] comment: Option<String>,
    ) -> Result<Fact> {
        let principal = require_principal(ctx)?;
        let id = fact_id(&id)?;
        Ok(Fact(workflow::take_step(db(ctx), principal, id, expected_version, FactAction::Submit, comment).await?))
    }

    /// Approves (publishes), sends back or rejects a submitted fact. Reviewers and admins only,
    /// and never on a fact they wrote or last edited.
    async fn review_fact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Fact.")] id: ID,
        #[graphql(desc = "The version the decision is based on.")] expected_version: i32,
        #[graphql(desc = "The decision.")] decision: ReviewDecision,
        #[graphql(desc = "Why; required when sending back or rejecting.")] comment: Option<String>,
    ) -> Result<Fact> {
        let principal = require_principal(ctx)?;
        let id = fact_id(&id)?;
        let action = match decision {
            ReviewDecision::Approve => FactAction::Approve,
            ReviewDecision::RequestChanges => FactAction::RequestChanges,
            ReviewDecision::Reject => FactAction::Reject,
        };
        Ok(Fact(workflow::take_step(db(ctx), principal, id, expected_version, action, comment).await?))
    }

    /// Retracts a published fact; it stays readable, marked RETRACTED with the reason.
    async fn retract_fact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Fact.")] id: ID,
        #[graphql(desc = "The version the step is based on.")] expected_version: i32,
        #[graphql(desc = "Why it is retracted (shown to the public).")] reason: String,
    ) -> Result<Fact> {
        let principal = require_principal(ctx)?;
        let id = fact_id(&id)?;
        Ok(Fact(
            workflow::take_step(db(ctx), principal, id, expected_version, FactAction::Retract, Some(reason)).await?,
        ))
    }

    /// Proposes a correction of a published fact: a new draft that, once approved, turns the
    /// old fact SUPERSEDED pointing to it.
    async fn supersede_fact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the published Fact to correct.")] id: ID,
        #[graphql(desc = "The version of the published fact the correction is based on.")] expected_version: i32,
        #[graphql(desc = "The corrected fact.")] input: FactInput,
        #[graphql(desc = "Makes retries safe: the same key and input return the first result.")]
        idempotency_key: Option<String>,
    ) -> Result<Fact> {
        let principal = require_principal(ctx)?;
        let key = idempotency(principal, "supersedeFact", idempotency_key, &(&id, expected_version, &input))?;
        let id = fact_id(&id)?;
        let input = input.into_domain();
        Ok(Fact(workflow::create_fact(db(ctx), principal, input, key, Some((id, expected_version))).await?))
    }

    /// Deletes a draft (its history stays in the log). Author only; returns the deleted id.
    async fn delete_draft(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Fact.")] id: ID,
        #[graphql(desc = "The version the deletion is based on.")] expected_version: i32,
    ) -> Result<ID> {
        let principal = require_principal(ctx)?;
        let uuid = fact_id(&id)?;
        workflow::delete_draft(db(ctx), principal, uuid, expected_version).await?;
        Ok(id)
    }
}

#[derive(Default)]
pub struct ReviewQuery;

#[Object]
impl ReviewQuery {
    /// Reviewers and admins: facts waiting for review, oldest first. Each fact's
    /// `changesSinceLastReview` shows what to look at.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn review_queue(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Further restrictions.")] filter: Option<FactFilterInput>,
        #[graphql(desc = "Page size from the start (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to continue before.")] before: Option<String>,
    ) -> Result<FactConnection> {
        let principal = require_principal(ctx)?;
        if !principal.can_review() {
            return Err(DomainError::Forbidden("only reviewers and admins see the review queue".into()).into());
        }
        let order = FactOrder { field: FactOrderField::UpdatedAt, ascending: true };
        fact_connection_in(ctx, Visibility::InReview, filter, order, first, after, last, before).await
    }

    /// Reviewers, admins and the fact's author: the fields that differ between two versions.
    async fn revision_diff(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Fact.")] fact: ID,
        #[graphql(desc = "The earlier version.")] from_version: i32,
        #[graphql(desc = "The later version.")] to_version: i32,
    ) -> Result<Vec<FieldChange>> {
        let principal = require_principal(ctx)?;
        let id = ids::decode_uuid(&fact, ids::FACT, "fact")?;
        let current = find_fact(db(ctx), principal, id).await?;
        if !(principal.can_review() || principal.user_id == current.created_by) {
            return Err(DomainError::Forbidden("only reviewers, admins and the author see diffs".into()).into());
        }
        let revisions = revisions_of(db(ctx), id).await?;
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
}
