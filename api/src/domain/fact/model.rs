//! A fact as editors write it: the inputs (with ids decoded at the edge) and what they become
//! once every rule holds. The serialized input is the idempotency fingerprint of a request, so
//! its field names are part of the stored data: rename them only with a migration.
use chrono::NaiveDate;
use entity::enums::{Attribution, DatePrecision, Modality, ParticipantRole};
use serde::Serialize;

use crate::domain::ids::{ActorId, Decoded, SourceId};

/// An actor's part in a fact.
#[derive(Debug, Clone, Serialize)]
pub struct ParticipantInput {
    pub actor: Decoded<ActorId>,
    pub role: ParticipantRole,
    pub title: Option<String>,
}

/// A key/value detail of a fact.
#[derive(Debug, Clone, Serialize)]
pub struct QualifierInput {
    pub key: String,
    pub value: String,
}

/// A quote linking a fact to a source.
#[derive(Debug, Clone, Serialize)]
pub struct CitationInput {
    pub source: Decoded<SourceId>,
    pub quote: String,
    pub attribution: Attribution,
    pub attributed_to: Option<Decoded<ActorId>>,
    pub relayed_from: Option<Decoded<ActorId>>,
}

/// A fact as an editor writes it.
#[derive(Debug, Clone, Serialize)]
pub struct FactInput {
    pub kind: String,
    pub summary: String,
    pub modality: Modality,
    pub occurred_on: NaiveDate,
    pub occurred_precision: DatePrecision,
    pub occurred_until: Option<NaiveDate>,
    pub country: Option<String>,
    pub participants: Vec<ParticipantInput>,
    pub qualifiers: Vec<QualifierInput>,
    pub citations: Vec<CitationInput>,
}

/// A participant that passed validation.
#[derive(Debug, Clone)]
pub struct ValidParticipant {
    pub actor: ActorId,
    pub role: ParticipantRole,
    pub title: Option<String>,
}

/// A citation that passed validation, with the outcome of quote verification.
#[derive(Debug, Clone)]
pub struct ValidCitation {
    pub source: SourceId,
    pub quote: String,
    pub attribution: Attribution,
    pub attributed_to: Option<ActorId>,
    pub relayed_from: Option<ActorId>,
    /// Character offsets of the quote in the source's snapshot, when it has one.
    pub location: Option<(i32, i32)>,
}

/// A fact input that satisfies every rule.
#[derive(Debug, Clone)]
pub struct ValidFactInput {
    pub kind: String,
    pub summary: String,
    pub modality: Modality,
    pub occurred_on: NaiveDate,
    pub occurred_precision: DatePrecision,
    pub occurred_until: Option<NaiveDate>,
    pub country: Option<String>,
    pub participants: Vec<ValidParticipant>,
    pub qualifiers: Vec<QualifierInput>,
    pub citations: Vec<ValidCitation>,
}
