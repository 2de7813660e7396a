//! Writing the shared catalogue that facts point at: actors (with aliases) and sources.
use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::{ActorKind, DatePrecision, SourceKind};
use entity::{actor, actor_alias, source};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    TransactionTrait,
};
use uuid::Uuid;

use super::idempotency::{Claim, IdempotencyKey};
use super::{fold, now, rules, DomainError, DomainResult, Violations};

pub const MAX_ALIASES: usize = 50;
pub const MAX_SNAPSHOT_CHARS: usize = 500_000;

/// An actor as an editor describes it.
#[derive(Debug, Clone)]
pub struct ActorInput {
    pub name: String,
    pub description: Option<String>,
    pub kind: ActorKind,
    pub country: Option<String>,
    pub wikidata_qid: Option<String>,
    pub aliases: Vec<String>,
}

struct ValidActor {
    name: String,
    description: String,
    kind: ActorKind,
    country: Option<String>,
    qid: Option<String>,
    aliases: Vec<String>,
}

async fn validate_actor<C: ConnectionTrait>(
    db: &C,
    input: &ActorInput,
    this: Option<Uuid>,
) -> DomainResult<ValidActor> {
    let mut v = Violations::new();
    let name = rules::text(&mut v, "name", &input.name, 1, 200);
    let description =
        rules::optional_text(&mut v, "description", input.description.as_deref(), 2000).unwrap_or_default();
    let country = rules::country(&mut v, "country", input.country.as_deref());
    let qid = rules::wikidata_qid(&mut v, "wikidataQid", input.wikidata_qid.as_deref());
    if input.aliases.len() > MAX_ALIASES {
        v.add("aliases", format!("may list at most {MAX_ALIASES} aliases"));
    }
    let mut aliases: Vec<String> = Vec::new();
    for (index, alias) in input.aliases.iter().enumerate() {
        let alias = rules::text(&mut v, &format!("aliases[{index}]"), alias, 1, 200);
        if fold(&alias) == fold(&name) || aliases.iter().any(|a| fold(a) == fold(&alias)) {
            v.add(format!("aliases[{index}]"), "repeats the name or another alias");
        } else {
            aliases.push(alias);
        }
    }
    if let Some(qid) = &qid {
        let owner = actor::Entity::find().filter(actor::Column::WikidataQid.eq(qid.clone())).one(db).await?;
        if owner.is_some_and(|o| Some(o.id) != this) {
            v.add("wikidataQid", "is already the id of another actor");
        }
    }
    v.into_result()?;
    Ok(ValidActor { name, description, kind: input.kind, country, qid, aliases })
}

async fn write_aliases<C: ConnectionTrait>(db: &C, actor_id: Uuid, aliases: &[String]) -> DomainResult<()> {
    actor_alias::Entity::delete_many().filter(actor_alias::Column::ActorId.eq(actor_id)).exec(db).await?;
    for alias in aliases {
        actor_alias::ActiveModel {
            id: Set(Uuid::now_v7()),
            actor_id: Set(actor_id),
            alias: Set(alias.clone()),
            alias_folded: Set(fold(alias)),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Turns a race on a unique index (two editors adding the same QID at once) into the same
/// input error the check above gives, instead of an internal error.
fn unique_violation_as(field: &str, message: &str, error: sea_orm::DbErr) -> DomainError {
    match error.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => DomainError::invalid(field, message),
        _ => error.into(),
    }
}

pub async fn create_actor(db: &DatabaseConnection, input: ActorInput) -> DomainResult<actor::Model> {
    let valid = validate_actor(db, &input, None).await?;
    let txn = db.begin().await?;
    let at = now();
    let created = actor::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(valid.name.clone()),
        name_folded: Set(fold(&valid.name)),
        description: Set(valid.description),
        kind: Set(valid.kind),
        country: Set(valid.country),
        wikidata_qid: Set(valid.qid),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await
    .map_err(|e| unique_violation_as("wikidataQid", "is already the id of another actor", e))?;
    write_aliases(&txn, created.id, &valid.aliases).await?;
    txn.commit().await?;
    Ok(created)
}

/// Replaces an actor's description; `expected_version` must be the version the editor read.
pub async fn update_actor(
    db: &DatabaseConnection,
    id: Uuid,
    expected_version: i32,
    input: ActorInput,
) -> DomainResult<actor::Model> {
    let current = actor::Entity::find_by_id(id).one(db).await?.ok_or_else(|| DomainError::NotFound("actor".into()))?;
    if current.version != expected_version {
        return Err(stale("actor", current.version));
    }
    let valid = validate_actor(db, &input, Some(id)).await?;
    let txn = db.begin().await?;
    // The version guard in the UPDATE is what stops a concurrent edit from being overwritten.
    let updated = actor::Entity::update_many()
        .col_expr(actor::Column::Name, valid.name.clone().into())
        .col_expr(actor::Column::NameFolded, fold(&valid.name).into())
        .col_expr(actor::Column::Description, valid.description.into())
        .col_expr(actor::Column::Kind, valid.kind.as_str().into())
        .col_expr(actor::Column::Country, valid.country.into())
        .col_expr(actor::Column::WikidataQid, valid.qid.into())
        .col_expr(actor::Column::Version, (expected_version + 1).into())
        .col_expr(actor::Column::UpdatedAt, now().into())
        .filter(actor::Column::Id.eq(id))
        .filter(actor::Column::Version.eq(expected_version))
        .exec(&txn)
        .await
        .map_err(|e| unique_violation_as("wikidataQid", "is already the id of another actor", e))?;
    if updated.rows_affected == 0 {
        return Err(DomainError::Conflict(format!("the actor changed since version {expected_version} was read")));
    }
    write_aliases(&txn, id, &valid.aliases).await?;
    txn.commit().await?;
    actor::Entity::find_by_id(id).one(db).await?.ok_or_else(|| DomainError::NotFound("actor".into()))
}

/// The error for a write that names a version other than the current one.
pub fn stale(what: &str, current: i32) -> DomainError {
    DomainError::Conflict(format!("the {what} has changed: its current version is {current}; reload and retry"))
}

/// A source document as an editor records it.
#[derive(Debug, Clone)]
pub struct SourceInput {
    pub url: String,
    pub title: String,
    pub kind: SourceKind,
    pub outlet_id: Option<Uuid>,
    pub published_on: Option<NaiveDate>,
    pub published_precision: Option<DatePrecision>,
    pub retrieved_at: Option<DateTime<Utc>>,
    pub language: Option<String>,
    pub archive_url: Option<String>,
    pub snapshot: Option<String>,
    /// Problems the API layer found while decoding the input (a malformed outlet id).
    pub decode_violations: Vec<super::FieldViolation>,
}

/// Creates a source, or returns the one already stored under the same canonical URL.
pub async fn create_source(
    db: &DatabaseConnection,
    input: SourceInput,
    created_by: Uuid,
    idempotency: Option<IdempotencyKey>,
) -> DomainResult<source::Model> {
    let mut v = Violations::new();
    for violation in &input.decode_violations {
        v.add(violation.field.clone(), violation.message.clone());
    }
    let canonical = rules::url(&mut v, "url", &input.url);
    let title = rules::text(&mut v, "title", &input.title, 1, 500);
    let archive_url =
        input.archive_url.as_deref().filter(|u| !u.trim().is_empty()).map(|u| rules::url(&mut v, "archiveUrl", u));
    let language = rules::language(&mut v, "language", input.language.as_deref());
    match (input.published_on, input.published_precision) {
        (Some(date), Some(precision)) => rules::fuzzy_date(&mut v, "publishedOn", date, precision),
        (None, None) => {}
        _ => v.add("publishedPrecision", "a published date and its precision go together"),
    }
    let retrieved_at = input.retrieved_at.unwrap_or_else(now);
    if retrieved_at > Utc::now() + chrono::Duration::minutes(5) {
        v.add("retrievedAt", "must not be in the future");
    }
    let snapshot = input.snapshot.filter(|s| !s.trim().is_empty());
    if snapshot.as_ref().is_some_and(|s| s.chars().count() > MAX_SNAPSHOT_CHARS) {
        v.add("snapshot", format!("must be at most {MAX_SNAPSHOT_CHARS} characters"));
    }
    if let Some(outlet) = input.outlet_id {
        if actor::Entity::find_by_id(outlet).one(db).await?.is_none() {
            v.add("outlet", "no such actor");
        }
    }
    v.into_result()?;

    let txn = db.begin().await?;
    if let Some(key) = &idempotency {
        if let Claim::Replay(response) = key.claim(&txn).await? {
            txn.commit().await?;
            let id = Uuid::parse_str(&response).map_err(|_| DomainError::Internal("bad idempotent response".into()))?;
            return source::Entity::find_by_id(id).one(db).await?.ok_or_else(|| DomainError::NotFound("source".into()));
        }
    }
    let at = now();
    source::Entity::insert(source::ActiveModel {
        id: Set(Uuid::now_v7()),
        canonical_url: Set(canonical.clone()),
        url: Set(input.url.trim().to_owned()),
        title: Set(title),
        kind: Set(input.kind),
        outlet_id: Set(input.outlet_id),
        published_on: Set(input.published_on),
        published_precision: Set(input.published_precision),
        retrieved_at: Set(retrieved_at),
        language: Set(language),
        archive_url: Set(archive_url),
        snapshot_sha256: Set(snapshot.as_deref().map(super::sha256_hex)),
        snapshot: Set(snapshot),
        created_by: Set(Some(created_by)),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
    })
    .on_conflict(sea_orm::sea_query::OnConflict::column(source::Column::CanonicalUrl).do_nothing().to_owned())
    .exec_without_returning(&txn)
    .await?;
    // Whether this call or an earlier one created it, the source under this URL is the answer.
    let stored = source::Entity::find()
        .filter(source::Column::CanonicalUrl.eq(canonical))
        .one(&txn)
        .await?
        .ok_or_else(|| DomainError::Internal("source vanished".into()))?;
    if let Some(key) = &idempotency {
        key.complete(&txn, &stored.id.to_string()).await?;
    }
    txn.commit().await?;
    Ok(stored)
}
