//! Writing sources: every source is created here, unique by its canonical URL.
use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::{DatePrecision, SourceKind};
use entity::{actor, source};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use crate::domain::chain::{self, ChainEntry, Subject};
use crate::domain::idempotency::{Claim, IdempotencyKey};
use crate::domain::ids::{ActorId, Decoded, SourceId, UserId};
use crate::domain::{now, rules, sha256_hex, stale, DomainError, DomainResult, Violations};

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

/// A revision of a source: each field given replaces the stored one; absent ones stay.
#[derive(Debug, Clone, Default)]
pub struct SourcePatch {
    pub title: Option<String>,
    pub outlet: Option<Decoded<ActorId>>,
    /// The published date and its precision, given together.
    pub published: Option<(NaiveDate, DatePrecision)>,
    pub language: Option<String>,
    pub archive_url: Option<String>,
    pub snapshot: Option<String>,
    /// Why a stored snapshot is replaced (required then).
    pub snapshot_reason: Option<String>,
}

/// What a revision did to the citations of the source.
#[derive(Debug, Clone, Default)]
pub struct Reverification {
    /// Citations whose quote was checked against the new snapshot.
    pub checked: usize,
    /// Citations whose quote the new snapshot no longer contains: now flagged unverified.
    pub unmatched: Vec<Uuid>,
}

/// Revises a source. A snapshot added to a source that had none, or replacing one (with a
/// reason), re-verifies every citation of the source against it: a quote found is located
/// again; a quote no longer found is flagged unverified, never silently left "verified". The
/// revision and what re-verification found are kept in the source's history.
pub async fn update_source<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &crate::domain::account::Principal,
    id: SourceId,
    expected_version: i32,
    patch: SourcePatch,
    reported: Violations,
) -> DomainResult<(source::Model, Reverification)> {
    use entity::{citation, source_revision};
    use sea_orm::sea_query::{Expr, ExprTrait};
    let current =
        source::Entity::find_by_id(id.0).one(db).await?.ok_or_else(|| DomainError::NotFound("source".into()))?;
    let mut v = reported;
    let title = patch.title.as_deref().map(|t| rules::text(&mut v, "title", t, 1, 500));
    let archive_url =
        patch.archive_url.as_deref().filter(|u| !u.trim().is_empty()).map(|u| rules::url(&mut v, "archiveUrl", u));
    let language = patch.language.as_deref().and_then(|l| rules::language(&mut v, "language", Some(l)));
    if let Some((date, precision)) = patch.published {
        rules::fuzzy_date(&mut v, "publishedOn", date, precision);
    }
    let outlet = patch.outlet.and_then(Decoded::valid);
    if let Some(outlet) = outlet {
        if actor::Entity::find_by_id(outlet.0).one(db).await?.is_none() {
            v.add("outlet", "no such actor");
        }
    }
    let snapshot = patch.snapshot.filter(|s| !s.trim().is_empty()).filter(|s| current.snapshot.as_ref() != Some(s));
    if snapshot.as_ref().is_some_and(|s| s.chars().count() > MAX_SNAPSHOT_CHARS) {
        v.add("snapshot", format!("must be at most {MAX_SNAPSHOT_CHARS} characters"));
    }
    let replacing = snapshot.is_some() && current.snapshot.is_some();
    let reason = match (&patch.snapshot_reason, replacing) {
        (reason, true) => Some(rules::text(&mut v, "snapshotReason", reason.as_deref().unwrap_or(""), 1, 2000)),
        (Some(reason), false) => rules::optional_text(&mut v, "snapshotReason", Some(reason), 2000),
        (None, false) => None,
    };
    v.into_result()?;
    if current.version != expected_version {
        return Err(stale("source", current.version));
    }
    let txn = db.begin().await?;
    let mut update = source::Entity::update_many()
        .col_expr(source::Column::Version, Expr::col(source::Column::Version).add(1))
        .col_expr(source::Column::UpdatedAt, Expr::val(now()))
        .filter(source::Column::Id.eq(id.0))
        .filter(source::Column::Version.eq(expected_version));
    let mut changed: Vec<&str> = Vec::new();
    if let Some(title) = title {
        update = update.col_expr(source::Column::Title, Expr::val(title));
        changed.push("title");
    }
    if let Some(outlet) = outlet {
        update = update.col_expr(source::Column::OutletId, Expr::val(outlet.0));
        changed.push("outlet");
    }
    if let Some((date, precision)) = patch.published {
        update = update
            .col_expr(source::Column::PublishedOn, Expr::val(date))
            .col_expr(source::Column::PublishedPrecision, Expr::val(precision.as_str()));
        changed.push("published");
    }
    if let Some(language) = language {
        update = update.col_expr(source::Column::Language, Expr::val(language));
        changed.push("language");
    }
    if let Some(archive_url) = archive_url {
        update = update.col_expr(source::Column::ArchiveUrl, Expr::val(archive_url));
        changed.push("archiveUrl");
    }
    if let Some(snapshot) = &snapshot {
        update = update
            .col_expr(source::Column::Snapshot, Expr::val(snapshot.clone()))
            .col_expr(source::Column::SnapshotSha256, Expr::val(sha256_hex(snapshot)));
        changed.push("snapshot");
    }
    if update.exec(&txn).await?.rows_affected == 0 {
        let now_at = source::Entity::find_by_id(id.0).one(&txn).await?;
        return Err(now_at.map_or_else(|| DomainError::NotFound("source".into()), |s| stale("source", s.version)));
    }
    let mut outcome = Reverification::default();
    if let Some(snapshot) = &snapshot {
        let citations = citation::Entity::find().filter(citation::Column::SourceId.eq(id.0)).all(&txn).await?;
        for cited in citations {
            let found = crate::domain::fact::quotes::verify_quote(snapshot, &cited.quote);
            outcome.checked += 1;
            if found.is_none() {
                outcome.unmatched.push(cited.id);
            }
            citation::Entity::update_many()
                .col_expr(citation::Column::Verified, Expr::val(found.is_some()))
                .col_expr(citation::Column::QuoteStart, Expr::val(found.as_ref().map(|f| f.start as i32)))
                .col_expr(citation::Column::QuoteEnd, Expr::val(found.as_ref().map(|f| f.end as i32)))
                .filter(citation::Column::Id.eq(cited.id))
                .exec(&txn)
                .await?;
        }
    }
    let updated =
        source::Entity::find_by_id(id.0).one(&txn).await?.ok_or_else(|| DomainError::NotFound("source".into()))?;
    let action = match (snapshot.is_some(), replacing) {
        (true, true) => "SNAPSHOT_REPLACED",
        (true, false) => "SNAPSHOT_ADDED",
        _ => "UPDATED",
    };
    let detail = serde_json::json!({
        "changed": changed,
        "reason": reason,
        "citationsChecked": outcome.checked,
        "citationsNoLongerMatching": outcome.unmatched,
    });
    source_revision::Entity::insert(source_revision::ActiveModel {
        id: Set(Uuid::now_v7()),
        source_id: Set(id.0),
        source_version: Set(updated.version),
        action: Set(action.to_owned()),
        actor_id: Set(Some(principal.user_id.0)),
        detail: Set(detail.to_string()),
        created_at: Set(now()),
    })
    .exec_without_returning(&txn)
    .await?;
    // The chain covers what citations are checked against: the snapshot by its digest.
    let entry = ChainEntry {
        subject: Subject::Source,
        subject_id: id.0,
        version: updated.version,
        action,
        actor_id: Some(principal.user_id.0),
        comment: reason.clone(),
        snapshot: serde_json::json!({
            "url": updated.url,
            "title": updated.title,
            "outletId": updated.outlet_id,
            "snapshotSha256": updated.snapshot.as_deref().map(sha256_hex),
            "change": detail,
        })
        .to_string(),
    };
    let appended = chain::append(&txn, entry).await?;
    // The change is a public event only if the public can see the source now (see
    // `domain::feed`); decided here, in the change's transaction, once and for good.
    if super::query::is_public(&txn, id).await? {
        crate::domain::feed::mark_public_source_event(&txn, appended.seq).await?;
    }
    txn.commit().await?;
    Ok((updated, outcome))
}

/// A source's history, oldest first.
pub async fn source_history<C: ConnectionTrait>(
    db: &C,
    id: SourceId,
) -> DomainResult<Vec<entity::source_revision::Model>> {
    use entity::source_revision;
    use sea_orm::QueryOrder;
    Ok(source_revision::Entity::find()
        .filter(source_revision::Column::SourceId.eq(id.0))
        .order_by_asc(source_revision::Column::SourceVersion)
        .all(db)
        .await?)
}
