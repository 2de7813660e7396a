//! API keys: credentials of a client (a frontend's server, an analyst's script) rather than of a
//! person. A key gives no rights beyond the public's; it gives the requests that carry it their
//! own rate, instead of the rate of the one address a server sends every visitor's query from,
//! and a name in logs and metrics. Created and revoked by admins (API and CLI); the key itself is
//! shown once and stored only as its SHA-256 (it is 256 random bits: no slow hash is needed).
use entity::api_key;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::domain::ids::UserId;
use crate::domain::{now, sha256_hex, DomainError, DomainResult, Violations};

/// What every key starts with, so that one found in a log or a repository is recognized.
pub const KEY_PREFIX: &str = "chk_";
pub const DEFAULT_RATE_PER_MINUTE: i32 = 6_000;
pub const MAX_RATE_PER_MINUTE: i32 = 1_000_000;
const MAX_NAME_CHARS: usize = 64;

/// A key to create: its name (shown in logs and metrics) and its rate (0: no limit).
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub name: String,
    pub rate_per_minute: Option<i32>,
}

/// A created key and its secret, which exists nowhere else once shown.
pub struct CreatedApiKey {
    pub record: api_key::Model,
    pub key: String,
}

fn check(input: &NewApiKey) -> DomainResult<(String, i32)> {
    let mut violations = Violations::new();
    let name = input.name.trim();
    let well_formed = name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || !well_formed {
        violations.add(
            "name",
            format!("must be 1 to {MAX_NAME_CHARS} characters of a-z, 0-9, `-`, `_` and `.` (it labels metrics)"),
        );
    }
    let rate = input.rate_per_minute.unwrap_or(DEFAULT_RATE_PER_MINUTE);
    if !(0..=MAX_RATE_PER_MINUTE).contains(&rate) {
        violations.add("ratePerMinute", format!("must be from 0 (no limit) to {MAX_RATE_PER_MINUTE}"));
    }
    violations.into_result()?;
    Ok((name.to_owned(), rate))
}

/// Creates a key; a name in use (by a revoked key too: logs keep naming it) is refused.
pub async fn create_api_key<C: ConnectionTrait>(
    db: &C,
    input: NewApiKey,
    created_by: Option<UserId>,
) -> DomainResult<CreatedApiKey> {
    let (name, rate) = check(&input)?;
    if api_key::Entity::find().filter(api_key::Column::Name.eq(name.clone())).one(db).await?.is_some() {
        return Err(DomainError::invalid("name", "is already the name of a key"));
    }
    let key = new_secret();
    let record = api_key::Model {
        id: Uuid::now_v7(),
        name,
        key_sha256: sha256_hex(&key),
        key_prefix: key.chars().take(KEY_PREFIX.len() + 6).collect(),
        rate_per_minute: rate,
        created_by: created_by.map(|id| id.0),
        created_at: now(),
        revoked_at: None,
        revoked_by: None,
    };
    let row = api_key::ActiveModel {
        id: Set(record.id),
        name: Set(record.name.clone()),
        key_sha256: Set(record.key_sha256.clone()),
        key_prefix: Set(record.key_prefix.clone()),
        rate_per_minute: Set(record.rate_per_minute),
        created_by: Set(record.created_by),
        created_at: Set(record.created_at),
        revoked_at: Set(None),
        revoked_by: Set(None),
    };
    // A concurrent creation under the same name loses on the unique index.
    api_key::Entity::insert(row).exec_without_returning(db).await.map_err(|error| {
        if matches!(error.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) {
            DomainError::invalid("name", "is already the name of a key")
        } else {
            error.into()
        }
    })?;
    Ok(CreatedApiKey { record, key })
}

/// Revokes a key (again: no change). Requests carrying it are refused from then on.
pub async fn revoke_api_key<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    revoked_by: Option<UserId>,
) -> DomainResult<api_key::Model> {
    api_key::Entity::update_many()
        .col_expr(api_key::Column::RevokedAt, Expr::val(now()))
        .col_expr(api_key::Column::RevokedBy, Expr::val(revoked_by.map(|id| id.0)))
        .filter(api_key::Column::Id.eq(id))
        .filter(api_key::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    api_key::Entity::find_by_id(id).one(db).await?.ok_or_else(|| DomainError::NotFound("API key".into()))
}

/// The key named `name`.
pub async fn api_key_named<C: ConnectionTrait>(db: &C, name: &str) -> DomainResult<api_key::Model> {
    api_key::Entity::find()
        .filter(api_key::Column::Name.eq(name.trim()))
        .one(db)
        .await?
        .ok_or_else(|| DomainError::NotFound(format!("API key `{}`", name.chars().take(64).collect::<String>())))
}

/// Every key, oldest first (there are few: one per client an admin admitted).
pub async fn list_api_keys<C: ConnectionTrait>(db: &C) -> DomainResult<Vec<api_key::Model>> {
    Ok(api_key::Entity::find().order_by_asc(api_key::Column::Id).all(db).await?)
}

/// The unrevoked key whose secret is `key`, if any.
pub async fn active_key<C: ConnectionTrait>(db: &C, key: &str) -> DomainResult<Option<api_key::Model>> {
    if !key.starts_with(KEY_PREFIX) || key.len() > 128 {
        return Ok(None);
    }
    Ok(api_key::Entity::find()
        .filter(api_key::Column::KeySha256.eq(sha256_hex(key)))
        .filter(api_key::Column::RevokedAt.is_null())
        .one(db)
        .await?)
}

fn new_secret() -> String {
    use base64::Engine as _;
    use password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("{KEY_PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_label_metrics_and_rates_are_bounded() {
        let ok = |name: &str, rate| check(&NewApiKey { name: name.into(), rate_per_minute: rate }).is_ok();
        assert!(ok("frontend-web.1", None));
        assert!(ok("batch", Some(0)));
        assert!(!ok("", None));
        assert!(!ok("Frontend", None), "upper case");
        assert!(!ok("a\"b", None), "a quote would break the metric label");
        assert!(!ok(&"a".repeat(65), None));
        assert!(!ok("web", Some(-1)));
        assert!(!ok("web", Some(MAX_RATE_PER_MINUTE + 1)));
    }

    #[test]
    fn keys_are_long_random_and_recognizable() {
        let (a, b) = (new_secret(), new_secret());
        assert!(a.starts_with(KEY_PREFIX) && a.len() == KEY_PREFIX.len() + 43);
        assert_ne!(a, b);
    }
}
