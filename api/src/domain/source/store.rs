//! Writing sources: every source is created here, unique by its canonical URL.
use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::{DatePrecision, SourceKind};
use entity::{actor, source};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use crate::domain::idempotency::{Claim, IdempotencyKey};
use crate::domain::ids::{ActorId, Decoded, SourceId, UserId};
use crate::domain::{now, rules, sha256_hex, DomainError, DomainResult, Violations};

pub const MAX_SNAPSHOT_CHARS: usize = 500_000;

/// A source document as an editor records it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SourceInput {
    pub url: String,
    pub title: String,
    pub kind: SourceKind,
    pub outlet: Option<Decoded<ActorId>>,
    pub published_on: Option<NaiveDate>,
    pub published_precision: Option<DatePrecision>,
    pub retrieved_at: Option<DateTime<Utc>>,
    pub language: Option<String>,
    pub archive_url: Option<String>,
    pub snapshot: Option<String>,
}

/// Creates a source under `id`, or returns the one already stored under the same canonical
/// URL. `reported` holds what the edge found while decoding the input (a malformed outlet id).
pub async fn create_source<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    id: SourceId,
    input: SourceInput,
    reported: Violations,
    created_by: UserId,
    idempotency: Option<IdempotencyKey>,
) -> DomainResult<source::Model> {
    let mut v = reported;
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
    let outlet = input.outlet.and_then(Decoded::valid);
    if let Some(outlet) = outlet {
        if actor::Entity::find_by_id(outlet.0).one(db).await?.is_none() {
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
        id: Set(id.0),
        canonical_url: Set(canonical.clone()),
        url: Set(input.url.trim().to_owned()),
        title: Set(title),
        kind: Set(input.kind),
        outlet_id: Set(outlet.map(Uuid::from)),
        published_on: Set(input.published_on),
        published_precision: Set(input.published_precision),
        retrieved_at: Set(retrieved_at),
        language: Set(language),
        archive_url: Set(archive_url),
        snapshot_sha256: Set(snapshot.as_deref().map(sha256_hex)),
        snapshot: Set(snapshot),
        created_by: Set(Some(created_by.0)),
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

/// Brings stored sources to the current canonical form of their URL (this release stopped
/// telling `www.` and a trailing `/` apart). Only rows that may be affected are read. A row whose
/// new form another source already holds keeps its old one, with a warning: merging two
/// sources is an editor's decision. Returns how many rows changed.
pub async fn recanonicalize_urls<C: ConnectionTrait>(db: &C) -> DomainResult<u64> {
    use sea_orm::sea_query::Expr;
    use sea_orm::Condition;
    let candidates = source::Entity::find()
        .filter(
            Condition::any()
                .add(source::Column::CanonicalUrl.like("%://www.%"))
                .add(source::Column::CanonicalUrl.like("%/")),
        )
        .all(db)
        .await?;
    let mut changed = 0;
    for row in candidates {
        let Ok(canonical) = crate::domain::urls::canonicalize_url(&row.url) else { continue };
        if canonical == row.canonical_url {
            continue;
        }
        let taken = source::Entity::find().filter(source::Column::CanonicalUrl.eq(canonical.clone())).one(db).await?;
        if let Some(other) = taken {
            tracing::warn!(source = %row.id, other = %other.id, url = %canonical, "two sources now share one canonical URL; kept apart");
            continue;
        }
        source::Entity::update_many()
            .col_expr(source::Column::CanonicalUrl, Expr::val(canonical))
            .filter(source::Column::Id.eq(row.id))
            .exec(db)
            .await?;
        changed += 1;
    }
    Ok(changed)
}
