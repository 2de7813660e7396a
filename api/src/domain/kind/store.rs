//! The one write path of fact kinds: an admin creates, revises and deprecates them. Every
//! change names the version it read and is kept, as a snapshot, in the kind's history. A
//! deprecated kind stays valid for the facts that use it; no new fact may.
use entity::enums::ParticipantRole;
use entity::{fact_kind, fact_kind_revision};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::string_list;
use crate::domain::account::Principal;
use crate::domain::chain::{self, kind_subject_id, ChainEntry, Subject};
use crate::domain::{now, rules, stale, DomainError, DomainResult, Violations};

pub const MAX_QUALIFIERS: usize = 20;
pub const MAX_QUALIFIER_KEY: usize = 32;

/// A fact kind as an admin describes it.
#[derive(Debug, Clone)]
pub struct KindInput {
    pub key: String,
    pub label: String,
    pub description: String,
    pub symmetric: bool,
    pub allowed_qualifiers: Vec<String>,
    pub required_qualifiers: Vec<String>,
    pub allowed_roles: Vec<ParticipantRole>,
    pub cameo_code: Option<String>,
}

/// Lower-case letters, digits and `_`, starting with a letter, at most `max` characters.
fn is_identifier(text: &str, max: usize) -> bool {
    text.len() <= max
        && text.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// `category.name`, each part an identifier (the category at most 32 characters).
fn is_kind_key(key: &str) -> bool {
    (3..=64).contains(&key.len())
        && matches!(key.split_once('.'), Some((category, name)) if is_identifier(category, 32) && is_identifier(name, 64))
}

/// The columns a valid input writes.
struct ValidKind {
    label: String,
    description: String,
    qualifiers: Vec<String>,
    required: Vec<String>,
    roles: Vec<String>,
}

fn validate(v: &mut Violations, input: &KindInput, prefix: &str) -> ValidKind {
    let path = |field: &str| format!("{prefix}{field}");
    let label = rules::text(v, &path("label"), &input.label, 1, 120);
    let description = rules::text(v, &path("description"), &input.description, 1, 2000);
    if input.allowed_qualifiers.len() > MAX_QUALIFIERS {
        v.add(path("allowedQualifiers"), format!("may list at most {MAX_QUALIFIERS} keys"));
    }
    let mut qualifiers: Vec<String> = Vec::new();
    for (index, key) in input.allowed_qualifiers.iter().enumerate() {
        let key = key.trim();
        if !is_identifier(key, MAX_QUALIFIER_KEY) {
            v.add(
                path(&format!("allowedQualifiers[{index}]")),
                "must be lower-case letters, digits and `_`, starting with a letter (at most 32)",
            );
        } else if qualifiers.iter().any(|q| q == key) {
            v.add(path(&format!("allowedQualifiers[{index}]")), "repeats another key");
        } else {
            qualifiers.push(key.to_owned());
        }
    }
    let mut required: Vec<String> = Vec::new();
    for (index, key) in input.required_qualifiers.iter().enumerate() {
        let key = key.trim();
        if !qualifiers.iter().any(|q| q == key) {
            v.add(path(&format!("requiredQualifiers[{index}]")), "must be one of `allowedQualifiers`");
        } else if !required.iter().any(|r| r == key) {
            required.push(key.to_owned());
        }
    }
    if input.allowed_roles.is_empty() {
        v.add(path("allowedRoles"), "a kind admits at least one role");
    }
    let mut roles: Vec<String> = Vec::new();
    for role in &input.allowed_roles {
        if !roles.iter().any(|r| r == role.as_str()) {
            roles.push(role.as_str().to_owned());
        }
    }
    if let Some(code) = &input.cameo_code {
        if !(2..=4).contains(&code.len()) || !code.chars().all(|c| c.is_ascii_digit()) {
            v.add(path("cameoCode"), "must be a CAMEO event code: 2 to 4 digits such as 036 or 0871");
        }
    }
    ValidKind { label, description, qualifiers, required, roles }
}

fn snapshot(kind: &fact_kind::Model) -> String {
    json!({
        "key": kind.key,
        "label": kind.label,
        "description": kind.description,
        "category": kind.category,
        "symmetric": kind.symmetric,
        "allowedQualifiers": string_list(&kind.allowed_qualifiers),
        "requiredQualifiers": string_list(&kind.required_qualifiers),
        "allowedRoles": string_list(&kind.allowed_roles),
        "cameoCode": kind.cameo_code,
        "version": kind.version,
        "deprecatedAt": kind.deprecated_at.map(|at| at.to_rfc3339()),
        "deprecationReason": kind.deprecation_reason,
    })
    .to_string()
}

async fn record<C: ConnectionTrait>(
    txn: &C,
    key: &str,
    action: &'static str,
    principal: &Principal,
) -> DomainResult<fact_kind::Model> {
    let kind = find(txn, key).await?;
    let snapshot = snapshot(&kind);
    fact_kind_revision::Entity::insert(fact_kind_revision::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind_key: Set(kind.key.clone()),
        kind_version: Set(kind.version),
        action: Set(action.to_owned()),
        actor_id: Set(Some(principal.user_id.0)),
        snapshot: Set(snapshot.clone()),
        created_at: Set(now()),
    })
    .exec_without_returning(txn)
    .await?;
    let entry = ChainEntry {
        subject: Subject::FactKind,
        subject_id: kind_subject_id(&kind.key),
        version: kind.version,
        action,
        actor_id: Some(principal.user_id.0),
        comment: None,
        snapshot,
    };
    chain::append(txn, entry).await?;
    Ok(kind)
}

async fn find<C: ConnectionTrait>(db: &C, key: &str) -> DomainResult<fact_kind::Model> {
    fact_kind::Entity::find_by_id(key.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| DomainError::NotFound("fact kind".into()))
}

fn json_list(items: &[String]) -> serde_json::Value {
    serde_json::Value::from(items.to_vec())
}

/// Adds a kind to the vocabulary.
pub async fn create_kind<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &Principal,
    input: KindInput,
) -> DomainResult<fact_kind::Model> {
    let mut v = Violations::new();
    let key = input.key.trim().to_owned();
    if !is_kind_key(&key) {
        v.add("key", "must read `category.name` in lower-case letters, digits and `_` (3 to 64 characters)");
    } else if fact_kind::Entity::find_by_id(key.clone()).one(db).await?.is_some() {
        v.add("key", "is already a kind of the vocabulary");
    }
    let valid = validate(&mut v, &input, "");
    v.into_result()?;
    let category = key.split('.').next().unwrap_or_default().to_owned();
    let txn = db.begin().await?;
    fact_kind::Entity::insert(fact_kind::ActiveModel {
        key: Set(key.clone()),
        label: Set(valid.label),
        description: Set(valid.description),
        category: Set(category),
        symmetric: Set(input.symmetric),
        allowed_qualifiers: Set(json_list(&valid.qualifiers)),
        required_qualifiers: Set(json_list(&valid.required)),
        allowed_roles: Set(json_list(&valid.roles)),
        cameo_code: Set(input.cameo_code),
        created_at: Set(now()),
        version: Set(1),
        deprecated_at: Set(None),
        deprecation_reason: Set(None),
    })
    .exec_without_returning(&txn)
    .await
    .map_err(|error| match error.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            DomainError::invalid("key", "is already a kind of the vocabulary")
        }
        _ => error.into(),
    })?;
    let kind = record(&txn, &key, "CREATED", principal).await?;
    txn.commit().await?;
    Ok(kind)
}

/// The version-guarded UPDATE of a kind; CONFLICT with the current version when it is stale.
async fn guarded<C: ConnectionTrait>(
    txn: &C,
    key: &str,
    expected_version: i32,
    change: impl FnOnce(sea_orm::UpdateMany<fact_kind::Entity>) -> sea_orm::UpdateMany<fact_kind::Entity>,
) -> DomainResult<()> {
    let update = fact_kind::Entity::update_many()
        .col_expr(fact_kind::Column::Version, Expr::col(fact_kind::Column::Version).add(1))
        .filter(fact_kind::Column::Key.eq(key))
        .filter(fact_kind::Column::Version.eq(expected_version));
    if change(update).exec(txn).await?.rows_affected == 0 {
        let current = find(txn, key).await?;
        return Err(stale("fact kind", current.version));
    }
    Ok(())
}

/// Revises a kind's description, vocabulary and code (its key and category stay). Facts that
/// use it stay as they are.
pub async fn update_kind<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &Principal,
    key: &str,
    expected_version: i32,
    input: KindInput,
) -> DomainResult<fact_kind::Model> {
    find(db, key).await?;
    let mut v = Violations::new();
    if input.key.trim() != key {
        v.add("kind.key", "a kind's key cannot change; create another kind and deprecate this one");
    }
    let valid = validate(&mut v, &input, "kind.");
    v.into_result()?;
    let txn = db.begin().await?;
    guarded(&txn, key, expected_version, |q| {
        q.col_expr(fact_kind::Column::Label, Expr::val(valid.label))
            .col_expr(fact_kind::Column::Description, Expr::val(valid.description))
            .col_expr(fact_kind::Column::Symmetric, Expr::val(input.symmetric))
            .col_expr(fact_kind::Column::AllowedQualifiers, Expr::val(json_list(&valid.qualifiers)))
            .col_expr(fact_kind::Column::RequiredQualifiers, Expr::val(json_list(&valid.required)))
            .col_expr(fact_kind::Column::AllowedRoles, Expr::val(json_list(&valid.roles)))
            .col_expr(fact_kind::Column::CameoCode, Expr::val(input.cameo_code))
    })
    .await?;
    let kind = record(&txn, key, "UPDATED", principal).await?;
    txn.commit().await?;
    Ok(kind)
}

/// Deprecates a kind: no new fact may use it; the facts that do keep it and stay valid.
pub async fn deprecate_kind<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &Principal,
    key: &str,
    expected_version: i32,
    reason: String,
) -> DomainResult<fact_kind::Model> {
    let current = find(db, key).await?;
    let mut v = Violations::new();
    let reason = rules::text(&mut v, "reason", &reason, 1, 2000);
    if current.deprecated_at.is_some() {
        v.add("key", "is already deprecated");
    }
    v.into_result()?;
    let txn = db.begin().await?;
    guarded(&txn, key, expected_version, |q| {
        q.col_expr(fact_kind::Column::DeprecatedAt, Expr::val(now()))
            .col_expr(fact_kind::Column::DeprecationReason, Expr::val(reason))
    })
    .await?;
    let kind = record(&txn, key, "DEPRECATED", principal).await?;
    txn.commit().await?;
    Ok(kind)
}

/// A kind's history, oldest first.
pub async fn kind_history<C: ConnectionTrait>(db: &C, key: &str) -> DomainResult<Vec<fact_kind_revision::Model>> {
    use sea_orm::QueryOrder;
    Ok(fact_kind_revision::Entity::find()
        .filter(fact_kind_revision::Column::KindKey.eq(key))
        .order_by_asc(fact_kind_revision::Column::KindVersion)
        .order_by_asc(fact_kind_revision::Column::Id)
        .all(db)
        .await?)
}
