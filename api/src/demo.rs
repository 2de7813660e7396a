//! The demo dataset: the RT report of the 12 February 2025 Putin–al-Sharaa call (as
//! republished by chattythat.news), its actors and its facts, each with verbatim quotes. The
//! content is data (`api/demo/demo.json` and the article beside it); this module only loads it,
//! through the same write paths an editor's requests take: the demo editor records the actors,
//! the source and each fact, submits it, and the demo reviewer approves it. So a demo that loads
//! proves the write path, quote verification and the workflow's four eyes included.
//!
//! Loading is idempotent: a second run finds what the first made and creates nothing. Ids are
//! derived from names and keys, so every installation's demo has the same ids and the README's
//! examples work as pasted.
use chrono::NaiveDate;
use entity::enums::{ActorKind, Attribution, DatePrecision, Modality, ParticipantRole, SourceKind, UserRole};
use entity::{fact, source, user};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::account::store::{create_user, NewUser};
use crate::domain::account::Principal;
use crate::domain::actor::query::find_by_name;
use crate::domain::actor::{store as actor_store, ActorInput};
use crate::domain::fact::{
    store as fact_store, CitationInput, FactAction, FactInput, NewFact, ParticipantInput, QualifierInput,
};
use crate::domain::ids::{ActorId, Decoded, FactId, SourceId};
use crate::domain::source::{store as source_store, SourceInput};
use crate::domain::urls::canonicalize_url;
use crate::domain::{DomainError, DomainResult, Violations};

/// The article the project started from, shipped inside the binary.
pub const ARTICLE: &str = include_str!("../demo/putin-al-sharaa-call.txt");

/// The dataset, shipped inside the binary.
const DATASET: &str = include_str!("../demo/demo.json");

/// Demo accounts; printed when the demo is loaded so a newcomer can log in.
pub const DEMO_EDITOR_EMAIL: &str = "editor@demo.chancery";
pub const DEMO_EDITOR_PASSWORD: &str = "demo-editor-password";
pub const DEMO_REVIEWER_EMAIL: &str = "reviewer@demo.chancery";
pub const DEMO_REVIEWER_PASSWORD: &str = "demo-reviewer-password";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Dataset {
    actors: Vec<ActorRecord>,
    source: SourceRecord,
    facts: Vec<FactRecord>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ActorRecord {
    name: String,
    kind: ActorKind,
    country: Option<String>,
    wikidata_qid: Option<String>,
    aliases: Vec<String>,
    description: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SourceRecord {
    url: String,
    title: String,
    kind: SourceKind,
    /// The outlet's name, as in `actors`.
    outlet: String,
    published_on: NaiveDate,
    published_precision: DatePrecision,
    language: String,
    /// The article; only `ARTICLE` is shipped, and a test checks that this names it.
    snapshot_file: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FactRecord {
    /// Stable name of the fact within the dataset; its id is derived from it.
    key: String,
    kind: String,
    summary: String,
    modality: Modality,
    occurred_on: NaiveDate,
    occurred_precision: DatePrecision,
    country: Option<String>,
    participants: Vec<ParticipantRecord>,
    qualifiers: Vec<QualifierRecord>,
    citations: Vec<CitationRecord>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ParticipantRecord {
    actor: String,
    role: ParticipantRole,
    title: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct QualifierRecord {
    key: String,
    value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CitationRecord {
    quote: String,
    attribution: Attribution,
    attributed_to: Option<String>,
    relayed_from: Option<String>,
}

/// The name of the one snapshot file shipped (as `ARTICLE`).
const ARTICLE_FILE: &str = "putin-al-sharaa-call.txt";

fn dataset() -> DomainResult<Dataset> {
    let data: Dataset = serde_json::from_str(DATASET)
        .map_err(|e| DomainError::Internal(format!("the demo dataset is malformed: {e}")))?;
    if data.source.snapshot_file != ARTICLE_FILE {
        return Err(DomainError::Internal(format!("the demo's snapshot must be {ARTICLE_FILE}")));
    }
    Ok(data)
}

/// What a demo load did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoReport {
    pub actors_created: usize,
    pub sources_created: usize,
    pub facts_created: usize,
    pub users_created: usize,
}

/// A stable UUIDv7 for a demo record: the time of the call and bits derived from its name, so
/// every installation's demo data has the same ids and the README's examples work as pasted.
fn demo_uuid(name: &str) -> Uuid {
    const CALL_MILLIS: u64 = 1_739_318_400_000; // 2025-02-12T00:00:00Z
    let digest = Sha256::digest(name.as_bytes());
    let mut bits = [0u8; 10];
    bits.copy_from_slice(&digest[..10]);
    uuid::Builder::from_unix_timestamp_millis(CALL_MILLIS, &bits).into_uuid()
}

async fn ensure_account<C: ConnectionTrait>(
    db: &C,
    email: &str,
    name: &str,
    role: UserRole,
    password: &str,
    report: &mut DemoReport,
) -> DomainResult<Principal> {
    if let Some(found) = user::Entity::find().filter(user::Column::Email.eq(email)).one(db).await? {
        return Ok(Principal::of(found));
    }
    let new_user =
        NewUser { email: email.to_owned(), display_name: name.to_owned(), role, password: password.to_owned() };
    let created = create_user(db, new_user).await?;
    report.users_created += 1;
    Ok(Principal::of(created))
}

async fn actor_id<C: ConnectionTrait>(db: &C, name: &str) -> DomainResult<ActorId> {
    find_by_name(db, name)
        .await?
        .map(|a| ActorId(a.id))
        .ok_or_else(|| DomainError::Internal(format!("the demo names an actor it does not define: `{name}`")))
}

async fn ensure_actor<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    record: &ActorRecord,
    report: &mut DemoReport,
) -> DomainResult<()> {
    if find_by_name(db, &record.name).await?.is_some() {
        return Ok(());
    }
    let input = ActorInput {
        name: record.name.clone(),
        description: Some(record.description.clone()),
        kind: record.kind,
        country: record.country.clone(),
        wikidata_qid: record.wikidata_qid.clone(),
        aliases: record.aliases.clone(),
    };
    actor_store::create_actor(db, ActorId(demo_uuid(&format!("actor:{}", record.name))), input, None).await?;
    report.actors_created += 1;
    Ok(())
}

async fn ensure_source<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    record: &SourceRecord,
    editor: &Principal,
    report: &mut DemoReport,
) -> DomainResult<SourceId> {
    let canonical = canonicalize_url(&record.url).map_err(|e| DomainError::Internal(e.to_string()))?;
    if let Some(found) = source::Entity::find().filter(source::Column::CanonicalUrl.eq(canonical)).one(db).await? {
        return Ok(SourceId(found.id));
    }
    let input = SourceInput {
        url: record.url.clone(),
        title: record.title.clone(),
        kind: record.kind,
        outlet: Some(Decoded::Valid(actor_id(db, &record.outlet).await?)),
        published_on: Some(record.published_on),
        published_precision: Some(record.published_precision),
        retrieved_at: None,
        language: Some(record.language.clone()),
        archive_url: None,
        snapshot: Some(ARTICLE.to_owned()),
    };
    let id = SourceId(demo_uuid(&format!("source:{}", record.url)));
    let by = editor.user_id;
    let created = source_store::create_source(db, id, input, Violations::new(), by, None).await?;
    report.sources_created += 1;
    Ok(SourceId(created.id))
}

async fn fact_input<C: ConnectionTrait>(db: &C, record: &FactRecord, source: SourceId) -> DomainResult<FactInput> {
    let mut participants = Vec::with_capacity(record.participants.len());
    for p in &record.participants {
        let actor = Decoded::Valid(actor_id(db, &p.actor).await?);
        participants.push(ParticipantInput { actor, role: p.role, title: p.title.clone() });
    }
    let mut citations = Vec::with_capacity(record.citations.len());
    for c in &record.citations {
        let named = |name: &Option<String>| name.clone();
        let attributed_to = match named(&c.attributed_to) {
            Some(name) => Some(Decoded::Valid(actor_id(db, &name).await?)),
            None => None,
        };
        let relayed_from = match named(&c.relayed_from) {
            Some(name) => Some(Decoded::Valid(actor_id(db, &name).await?)),
            None => None,
        };
        citations.push(CitationInput {
            source: Decoded::Valid(source),
            quote: c.quote.clone(),
            attribution: c.attribution,
            attributed_to,
            relayed_from,
        });
    }
    Ok(FactInput {
        kind: record.kind.clone(),
        summary: record.summary.clone(),
        modality: record.modality,
        occurred_on: record.occurred_on,
        occurred_precision: record.occurred_precision,
        occurred_until: None,
        country: record.country.clone(),
        participants,
        qualifiers: record
            .qualifiers
            .iter()
            .map(|q| QualifierInput { key: q.key.clone(), value: q.value.clone() })
            .collect(),
        citations,
    })
}

/// Records, submits and approves one fact, as an editor and a reviewer would.
async fn publish_fact<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    record: &FactRecord,
    source: SourceId,
    editor: &Principal,
    reviewer: &Principal,
) -> DomainResult<()> {
    let id = FactId(demo_uuid(&format!("fact:{}", record.key)));
    let input = fact_input(db, record, source).await?;
    let draft = fact_store::create_fact(db, editor, NewFact { id, input, reported: Violations::new() }, None, None)
        .await
        .map_err(|e| in_fact(&record.key, e))?;
    let submitted = fact_store::take_step(db, editor, id, draft.version, FactAction::Submit, None).await?;
    fact_store::take_step(db, reviewer, id, submitted.version, FactAction::Approve, None).await?;
    Ok(())
}

/// A demo fact the rules refuse is a fault of the dataset: say which one.
fn in_fact(key: &str, error: DomainError) -> DomainError {
    match error {
        DomainError::InvalidInput(violations) => DomainError::Internal(format!(
            "the demo fact `{key}` is invalid: {}",
            violations.iter().map(|v| format!("{}: {}", v.field, v.message)).collect::<Vec<_>>().join("; ")
        )),
        other => other,
    }
}

/// Loads the demo dataset in one transaction; safe to run any number of times.
pub async fn load_demo(db: &DatabaseConnection) -> DomainResult<DemoReport> {
    let data = dataset()?;
    let txn = db.begin().await?;
    let mut report = DemoReport::default();
    let editor =
        ensure_account(&txn, DEMO_EDITOR_EMAIL, "Demo Editor", UserRole::Editor, DEMO_EDITOR_PASSWORD, &mut report)
            .await?;
    let reviewer = ensure_account(
        &txn,
        DEMO_REVIEWER_EMAIL,
        "Demo Reviewer",
        UserRole::Reviewer,
        DEMO_REVIEWER_PASSWORD,
        &mut report,
    )
    .await?;
    for record in &data.actors {
        ensure_actor(&txn, record, &mut report).await?;
    }
    let source = ensure_source(&txn, &data.source, &editor, &mut report).await?;
    for record in &data.facts {
        let id = demo_uuid(&format!("fact:{}", record.key));
        if fact::Entity::find_by_id(id).one(&txn).await?.is_some() {
            continue;
        }
        publish_fact(&txn, record, source, &editor, &reviewer).await?;
        report.facts_created += 1;
    }
    txn.commit().await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fact::quotes::verify_quote;

    #[test]
    fn the_dataset_parses_and_names_the_shipped_article() {
        let data = dataset().unwrap();
        assert_eq!(data.source.snapshot_file, ARTICLE_FILE);
        assert!(!data.facts.is_empty() && !data.actors.is_empty());
    }

    #[test]
    fn every_demo_quote_is_verbatim_in_the_article() {
        for record in dataset().unwrap().facts {
            for cite in record.citations {
                assert!(verify_quote(ARTICLE, &cite.quote).is_some(), "{}: {}", record.key, cite.quote);
            }
        }
    }

    #[test]
    fn every_actor_the_facts_name_is_defined() {
        let data = dataset().unwrap();
        let defined: Vec<&str> = data.actors.iter().map(|a| a.name.as_str()).collect();
        for record in &data.facts {
            for name in record.participants.iter().map(|p| &p.actor).chain(
                record.citations.iter().flat_map(|c| [c.attributed_to.as_ref(), c.relayed_from.as_ref()]).flatten(),
            ) {
                assert!(defined.contains(&name.as_str()), "{}: {name}", record.key);
            }
        }
        assert!(defined.contains(&data.source.outlet.as_str()));
    }
}
