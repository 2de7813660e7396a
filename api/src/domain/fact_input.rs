//! Validating a fact as an editor submits it: the kind's vocabulary (roles, qualifiers), dates
//! and their precision, and citations whose quotes are verified against the source snapshot.
//! Every violation is reported, by the path of the field in the input, before anything is written.
use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use entity::enums::{Attribution, DatePrecision, Modality, ParticipantRole};
use entity::{actor, citation, fact_kind, fact_participant, fact_qualifier, source};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::kinds::string_list;
use super::quotes::{normalize_quote, verify_quote};
use super::{rules, DomainResult, Violations};

pub const MAX_PARTICIPANTS: usize = 50;
pub const MAX_QUALIFIERS: usize = 50;
pub const MAX_CITATIONS: usize = 20;
pub const MAX_QUOTE_CHARS: usize = 2000;

#[derive(Debug, Clone)]
pub struct ParticipantInput {
    pub actor_id: Uuid,
    pub role: ParticipantRole,
    pub title: Option<String>,
}

#[derive(Debug, Clone)]
pub struct QualifierInput {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone)]
pub struct CitationInput {
    pub source_id: Uuid,
    pub quote: String,
    pub attribution: Attribution,
    pub attributed_to: Option<Uuid>,
    pub relayed_from: Option<Uuid>,
}

/// A fact as an editor writes it (ids already decoded).
#[derive(Debug, Clone)]
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
    /// Problems the API layer found while decoding the input (malformed ids), reported with
    /// every other violation; the fields they name are not checked again.
    pub decode_violations: Vec<super::FieldViolation>,
}

/// A citation that passed validation, with the outcome of quote verification.
#[derive(Debug, Clone)]
pub struct ValidCitation {
    pub input: CitationInput,
    pub quote: String,
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
    pub participants: Vec<ParticipantInput>,
    pub qualifiers: Vec<QualifierInput>,
    pub citations: Vec<ValidCitation>,
}

/// Checks every rule and reports every violation at once.
pub async fn validate_fact<C: ConnectionTrait>(db: &C, input: FactInput) -> DomainResult<ValidFactInput> {
    let mut v = Violations::new();
    let undecodable: HashSet<String> = input.decode_violations.iter().map(|d| d.field.clone()).collect();
    for violation in &input.decode_violations {
        v.add(violation.field.clone(), violation.message.clone());
    }
    let kind = fact_kind::Entity::find_by_id(input.kind.clone()).one(db).await?;
    if kind.is_none() {
        v.add("kind", format!("unknown fact kind `{}`", input.kind.chars().take(64).collect::<String>()));
    }
    let summary = rules::text(&mut v, "summary", &input.summary, 1, 500);
    rules::fuzzy_date(&mut v, "occurredOn", input.occurred_on, input.occurred_precision);
    if let Some(until) = input.occurred_until {
        if until < input.occurred_on {
            v.add("occurredUntil", "must not be before `occurredOn`");
        }
        rules::fuzzy_date(&mut v, "occurredUntil", until, input.occurred_precision);
    }
    let country = rules::country(&mut v, "country", input.country.as_deref());

    // Every actor and source named anywhere, checked in two statements.
    let actor_ids: HashSet<Uuid> = input
        .participants
        .iter()
        .map(|p| p.actor_id)
        .chain(input.citations.iter().flat_map(|c| [c.attributed_to, c.relayed_from]).flatten())
        .collect();
    let known_actors: HashSet<Uuid> = actor::Entity::find()
        .filter(actor::Column::Id.is_in(actor_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    let sources: HashMap<Uuid, source::Model> = source::Entity::find()
        .filter(source::Column::Id.is_in(input.citations.iter().map(|c| c.source_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();

    let allowed_roles = kind.as_ref().map(|k| string_list(&k.allowed_roles)).unwrap_or_default();
    if input.participants.is_empty() {
        v.add("participants", "a fact needs at least one participant");
    }
    if input.participants.len() > MAX_PARTICIPANTS {
        v.add("participants", format!("may list at most {MAX_PARTICIPANTS} participants"));
    }
    let mut participants = Vec::new();
    let mut seen_participants = HashSet::new();
    for (i, p) in input.participants.iter().enumerate() {
        let path = format!("participants[{i}].actor");
        if !known_actors.contains(&p.actor_id) && !undecodable.contains(&path) {
            v.add(path, "no such actor");
        }
        if kind.is_some() && !allowed_roles.iter().any(|r| r == p.role.as_str()) {
            v.add(
                format!("participants[{i}].role"),
                format!("{} is not a role of `{}`; allowed: {}", p.role.as_str(), input.kind, allowed_roles.join(", ")),
            );
        }
        let title = rules::optional_text(&mut v, &format!("participants[{i}].title"), p.title.as_deref(), 200);
        if !seen_participants.insert((p.actor_id, p.role)) {
            v.add(format!("participants[{i}]"), "lists the same actor in the same role twice");
        }
        participants.push(ParticipantInput { actor_id: p.actor_id, role: p.role, title });
    }

    let allowed_qualifiers = kind.as_ref().map(|k| string_list(&k.allowed_qualifiers)).unwrap_or_default();
    let required_qualifiers = kind.as_ref().map(|k| string_list(&k.required_qualifiers)).unwrap_or_default();
    if input.qualifiers.len() > MAX_QUALIFIERS {
        v.add("qualifiers", format!("may list at most {MAX_QUALIFIERS} qualifiers"));
    }
    let mut qualifiers = Vec::new();
    let mut seen_qualifiers = HashSet::new();
    for (i, q) in input.qualifiers.iter().enumerate() {
        let key = q.key.trim().to_owned();
        if kind.is_some() && !allowed_qualifiers.contains(&key) {
            v.add(
                format!("qualifiers[{i}].key"),
                format!(
                    "`{}` is not a qualifier of `{}`; allowed: {}",
                    key.chars().take(64).collect::<String>(),
                    input.kind,
                    allowed_qualifiers.join(", ")
                ),
            );
        }
        let value = rules::text(&mut v, &format!("qualifiers[{i}].value"), &q.value, 1, 500);
        if !seen_qualifiers.insert((key.clone(), value.clone())) {
            v.add(format!("qualifiers[{i}]"), "repeats another qualifier");
        }
        qualifiers.push(QualifierInput { key, value });
    }
    for required in &required_qualifiers {
        if !qualifiers.iter().any(|q| &q.key == required) {
            v.add("qualifiers", format!("`{}` requires the qualifier `{required}`", input.kind));
        }
    }

    if input.citations.len() > MAX_CITATIONS {
        v.add("citations", format!("may list at most {MAX_CITATIONS} citations"));
    }
    let mut citations = Vec::new();
    let mut seen_citations = HashSet::new();
    for (i, c) in input.citations.iter().enumerate() {
        let quote = rules::text(&mut v, &format!("citations[{i}].quote"), &c.quote, 1, MAX_QUOTE_CHARS);
        let mut location = None;
        let source_path = format!("citations[{i}].source");
        match sources.get(&c.source_id) {
            None if undecodable.contains(&source_path) => {}
            None => v.add(source_path, "no such source"),
            Some(source) => {
                if let (Some(snapshot), false) = (&source.snapshot, quote.is_empty()) {
                    match verify_quote(snapshot, &quote) {
                        Some(found) => location = Some((found.start as i32, found.end as i32)),
                        None => v.add(
                            format!("citations[{i}].quote"),
                            "is not in the source's snapshot (compared after normalizing white space, quote marks and dashes)",
                        ),
                    }
                }
            }
        }
        for (field, id) in [("attributedTo", c.attributed_to), ("relayedFrom", c.relayed_from)] {
            if id.is_some_and(|id| !known_actors.contains(&id))
                && !undecodable.contains(&format!("citations[{i}].{field}"))
            {
                v.add(format!("citations[{i}].{field}"), "no such actor");
            }
        }
        if c.relayed_from.is_some() && c.attribution == Attribution::Direct {
            v.add(format!("citations[{i}].relayedFrom"), "only a RELAYED citation names whom it relays");
        }
        if !seen_citations.insert((c.source_id, normalize_quote(&quote))) {
            v.add(format!("citations[{i}]"), "cites the same quote of the same source twice");
        }
        citations.push(ValidCitation { input: c.clone(), quote, location });
    }
    v.into_result()?;
    Ok(ValidFactInput {
        kind: input.kind,
        summary,
        modality: input.modality,
        occurred_on: input.occurred_on,
        occurred_precision: input.occurred_precision,
        occurred_until: input.occurred_until,
        country,
        participants,
        qualifiers,
        citations,
    })
}

/// The digest that makes a quote unique per fact and source: two renderings of the same words
/// (curly or straight quotes, dashes, white space) are the same quote.
pub fn quote_digest(quote: &str) -> String {
    super::sha256_hex(&normalize_quote(quote))
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
                actor_id: Set(p.actor_id),
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
        citation::Entity::insert_many(input.citations.iter().enumerate().map(|(i, c)| citation::ActiveModel {
            id: Set(Uuid::now_v7()),
            fact_id: Set(fact_id),
            source_id: Set(c.input.source_id),
            quote_sha256: Set(quote_digest(&c.quote)),
            quote: Set(c.quote.clone()),
            attributed_to_id: Set(c.input.attributed_to),
            attribution: Set(c.input.attribution),
            relayed_from_id: Set(c.input.relayed_from),
            verified: Set(c.location.is_some()),
            quote_start: Set(c.location.map(|l| l.0)),
            quote_end: Set(c.location.map(|l| l.1)),
            position: Set(i as i32),
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}
