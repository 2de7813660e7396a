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
use crate::domain::account::Principal;
use crate::domain::actor::{store as actor_store, ActorInput as DomainActorInput};
use crate::domain::fact::history::{diff_snapshots, revisions_of};
use crate::domain::fact::query::{FactOrder, FactOrderField, Visibility};
use crate::domain::fact::workflow::find_fact;
use crate::domain::fact::{
    store as fact_store, CitationInput as DomainCitation, Correction, FactAction, FactInput as DomainFactInput,
    NewFact, ParticipantInput as DomainParticipant, QualifierInput as DomainQualifier,
};
use crate::domain::idempotency::IdempotencyKey;
use crate::domain::ids::{ActorId, FactId, SourceId, UserId};
use crate::domain::source::{store as source_store, SourceInput as DomainSourceInput};
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
    /// The domain's input, its ids decoded; a bad id is reported in the violations returned
    /// beside it, at its path in this input.
    fn into_domain(self) -> (DomainFactInput, Violations) {
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
            .map(|(i, c)| DomainCitation {
                source: ids::decode_in(&c.source, format!("citations[{i}].source"), &mut v),
                quote: c.quote,
                attribution: c.attribution,
                attributed_to: c
                    .attributed_to
                    .map(|a| ids::decode_in(&a, format!("citations[{i}].attributedTo"), &mut v)),
                relayed_from: c.relayed_from.map(|a| ids::decode_in(&a, format!("citations[{i}].relayedFrom"), &mut v)),
            })
            .collect();
        let input = DomainFactInput {
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
        };
        (input, v)
    }
}

impl SourceInput {
    /// The domain's input, its outlet id decoded (a bad one is reported beside it).
    fn into_domain(self) -> (DomainSourceInput, Violations) {
        let mut v = Violations::new();
        let outlet = self.outlet.map(|raw| ids::decode_in(&raw, "outlet".into(), &mut v));
        let input = DomainSourceInput {
            url: self.url,
            title: self.title,
            kind: self.kind,
            outlet,
            published_on: self.published_on,
            published_precision: self.published_precision,
            retrieved_at: self.retrieved_at,
            language: self.language,
            archive_url: self.archive_url,
            snapshot: self.snapshot,
        };
        (input, v)
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
    request: &impl serde::Serialize,
) -> Result<Option<IdempotencyKey>> {
    Ok(match key {
        Some(key) => Some(IdempotencyKey::new(principal.user_id.to_string(), operation, &key, request)?),
        None => None,
    })
}

fn fact_id(id: &ID) -> Result<FactId> {
    Ok(ids::decode::<FactId>(id, "id")?)
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
        Ok(Actor(actor_store::create_actor(db(ctx), ActorId::generate(), input.into()).await?))
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
        let id = ids::decode::<ActorId>(&id, "id")?;
        Ok(Actor(actor_store::update_actor(db(ctx), id, expected_version, input.into()).await?))
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
        let (input, reported) = input.into_domain();
        let key = idempotency(principal, "createSource", idempotency_key, &input)?;
        let (id, by) = (SourceId::generate(), UserId(principal.user_id));
        Ok(Source(source_store::create_source(db(ctx), id, input, reported, by, key).await?))
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
        let (input, reported) = input.into_domain();
        let key = idempotency(principal, "createFact", idempotency_key, &input)?;
        let new = NewFact { id: FactId::generate(), input, reported };
        Ok(Fact(fact_store::create_fact(db(ctx), principal, new, key, None).await?))
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
        let (input, reported) = input.into_domain();
        Ok(Fact(fact_store::update_fact(db(ctx), principal, id, expected_version, input, reported).await?))
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
        Ok(Fact(fact_store::take_step(db(ctx), principal, id, expected_version, FactAction::Submit, comment).await?))
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
        Ok(Fact(fact_store::take_step(db(ctx), principal, id, expected_version, action, comment).await?))
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
            fact_store::take_step(db(ctx), principal, id, expected_version, FactAction::Retract, Some(reason)).await?,
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
        let of = fact_id(&id)?;
        let (input, reported) = input.into_domain();
        let key = idempotency(principal, "supersedeFact", idempotency_key, &(of, expected_version, &input))?;
        let new = NewFact { id: FactId::generate(), input, reported };
        let correction = Correction { of, expected_version };
        Ok(Fact(fact_store::create_fact(db(ctx), principal, new, key, Some(correction)).await?))
    }

    /// Deletes a draft (its history stays in the log). Author only; returns the deleted id.
    async fn delete_draft(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Fact.")] id: ID,
        #[graphql(desc = "The version the deletion is based on.")] expected_version: i32,
    ) -> Result<ID> {
        let principal = require_principal(ctx)?;
        let fact = fact_id(&id)?;
        fact_store::delete_draft(db(ctx), principal, fact, expected_version).await?;
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
        let id = ids::decode::<FactId>(&fact, "fact")?;
        let current = find_fact(db(ctx), principal, id).await?;
        let id = id.0;
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
