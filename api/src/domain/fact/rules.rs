//! Validating a fact as an editor submits it: the kind's vocabulary (roles, qualifiers), dates
//! and their precision, and citations whose quotes are verified against the source snapshot.
//! Every violation is reported, by the path of the field in the input, before anything is written.
use std::collections::{HashMap, HashSet};

use entity::enums::Attribution;
use entity::{actor, fact_kind, source};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::model::{CitationInput, FactInput, QualifierInput, ValidCitation, ValidFactInput, ValidParticipant};
use super::quotes::{normalize_quote, verify_quote};
use crate::domain::ids::{ActorId, Decoded, SourceId};
use crate::domain::kind::string_list;
use crate::domain::{rules, DomainError, DomainResult, Violations};

pub const MAX_PARTICIPANTS: usize = 50;
pub const MAX_QUALIFIERS: usize = 50;
pub const MAX_CITATIONS: usize = 20;
pub const MAX_QUOTE_CHARS: usize = 2000;

/// Checks every rule and reports every violation at once, together with those the edge
/// already found while decoding the input (`reported`).
/// A deprecated kind is refused unless it is `kept_kind`, the kind the fact already has.
pub async fn validate_fact<C: ConnectionTrait>(
    db: &C,
    input: FactInput,
    reported: Violations,
    kept_kind: Option<&str>,
) -> DomainResult<ValidFactInput> {
    let mut v = reported;
    let kind = fact_kind::Entity::find_by_id(input.kind.clone()).one(db).await?;
    match &kind {
        None => v.add("kind", format!("unknown fact kind `{}`", input.kind.chars().take(64).collect::<String>())),
        Some(found) if found.deprecated_at.is_some() && kept_kind != Some(found.key.as_str()) => v.add(
            "kind",
            format!(
                "`{}` is deprecated: no new fact may use it ({})",
                found.key,
                found.deprecation_reason.as_deref().unwrap_or("no reason given")
            ),
        ),
        Some(_) => {}
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
        .map(|p| p.actor)
        .chain(input.citations.iter().flat_map(|c| [c.attributed_to, c.relayed_from]).flatten())
        .filter_map(|id| id.valid().map(Uuid::from))
        .collect();
    let known_actors = known_actors(db, actor_ids).await?;
    let sources = sources_by_id(db, input.citations.iter().filter_map(|c| c.source.valid().map(Uuid::from))).await?;

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
        let actor = match p.actor {
            Decoded::Valid(id) if known_actors.contains(&id.0) => Some(id),
            Decoded::Valid(_) => {
                v.add(format!("participants[{i}].actor"), "no such actor");
                None
            }
            Decoded::Unreadable => None,
        };
        if kind.is_some() && !allowed_roles.iter().any(|r| r == p.role.as_str()) {
            v.add(
                format!("participants[{i}].role"),
                format!("{} is not a role of `{}`; allowed: {}", p.role.as_str(), input.kind, allowed_roles.join(", ")),
            );
        }
        let title = rules::optional_text(&mut v, &format!("participants[{i}].title"), p.title.as_deref(), 200);
        if let Some(actor) = actor {
            if !seen_participants.insert((actor, p.role)) {
                v.add(format!("participants[{i}]"), "lists the same actor in the same role twice");
            }
            participants.push(ValidParticipant { actor, role: p.role, title });
        }
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
        let path = format!("citations[{i}]");
        let Some(valid) = check_citation(&mut v, &path, c, &sources, &known_actors) else { continue };
        if !seen_citations.insert((valid.source, normalize_quote(&valid.quote))) {
            v.add(path, "cites the same quote of the same source twice");
        }
        citations.push(valid);
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

/// Checks one citation, reporting under `path` (`citations[2]`, or `citation` when one is
/// proposed for a published fact): its quote's length and place in the source's snapshot, its
/// source and the actors it names (looked up by the caller, `sources` and `known_actors`).
/// `None` when its source could not be found.
fn check_citation(
    v: &mut Violations,
    path: &str,
    c: &CitationInput,
    sources: &HashMap<Uuid, source::Model>,
    known_actors: &HashSet<Uuid>,
) -> Option<ValidCitation> {
    let quote = rules::text(v, &format!("{path}.quote"), &c.quote, 1, MAX_QUOTE_CHARS);
    let mut location = None;
    let source = match c.source {
        Decoded::Valid(id) => sources.get(&id.0),
        Decoded::Unreadable => None,
    };
    match source {
        None if c.source == Decoded::Unreadable => {}
        None => v.add(format!("{path}.source"), "no such source"),
        Some(source) => {
            if let (Some(snapshot), false) = (&source.snapshot, quote.is_empty()) {
                match verify_quote(snapshot, &quote) {
                    Some(found) => location = Some((found.start as i32, found.end as i32)),
                    None => v.add(
                        format!("{path}.quote"),
                        "is not in the source's snapshot (compared after normalizing white space, quote marks and dashes)",
                    ),
                }
            }
        }
    }
    let mut named_actor = |field: &str, id: Option<Decoded<ActorId>>| match id {
        Some(Decoded::Valid(id)) if known_actors.contains(&id.0) => Some(id),
        Some(Decoded::Valid(_)) => {
            v.add(format!("{path}.{field}"), "no such actor");
            None
        }
        _ => None,
    };
    let attributed_to = named_actor("attributedTo", c.attributed_to);
    let relayed_from = named_actor("relayedFrom", c.relayed_from);
    if c.relayed_from.is_some() && c.attribution == Attribution::Direct {
        v.add(format!("{path}.relayedFrom"), "only a RELAYED citation names whom it relays");
    }
    let source = SourceId(source?.id);
    Some(ValidCitation { source, quote, attribution: c.attribution, attributed_to, relayed_from, location })
}

/// Checks a citation proposed on its own for a published fact; errors name `citation.…`.
pub async fn validate_citation<C: ConnectionTrait>(
    db: &C,
    input: &CitationInput,
    reported: Violations,
) -> DomainResult<ValidCitation> {
    let mut v = reported;
    let actor_ids: Vec<Uuid> = [input.attributed_to, input.relayed_from]
        .into_iter()
        .flatten()
        .filter_map(|id| id.valid().map(Uuid::from))
        .collect();
    let known_actors = known_actors(db, actor_ids).await?;
    let sources = sources_by_id(db, input.source.valid().map(Uuid::from)).await?;
    let valid = check_citation(&mut v, "citation", input, &sources, &known_actors);
    v.into_result()?;
    valid.ok_or_else(|| DomainError::Internal("a citation without a source passed validation".into()))
}

/// Which of `ids` name an actor, in one statement.
async fn known_actors<C: ConnectionTrait>(db: &C, ids: impl IntoIterator<Item = Uuid>) -> DomainResult<HashSet<Uuid>> {
    let found = actor::Entity::find().filter(actor::Column::Id.is_in(ids)).all(db).await?;
    Ok(found.into_iter().map(|a| a.id).collect())
}

/// The sources among `ids`, in one statement.
async fn sources_by_id<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = Uuid>,
) -> DomainResult<HashMap<Uuid, source::Model>> {
    let found = source::Entity::find().filter(source::Column::Id.is_in(ids)).all(db).await?;
    Ok(found.into_iter().map(|s| (s.id, s)).collect())
}
