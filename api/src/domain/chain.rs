//! The one tamper-evident log of the record: every change of a fact, and every change of what
//! facts rest on (the vocabulary, sources, merged actors), is appended to one hash chain, so
//! `chancery verify-history` checks them all. Each entry names its subject (a fact, a kind, a
//! source, an actor), the subject's version after the change, and a snapshot of what changed.
use entity::revision;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::{now, DomainError, DomainResult};

/// What an entry of the chain is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Fact,
    FactKind,
    Source,
    Actor,
}

impl Subject {
    pub fn as_str(self) -> &'static str {
        match self {
            Subject::Fact => "FACT",
            Subject::FactKind => "FACT_KIND",
            Subject::Source => "SOURCE",
            Subject::Actor => "ACTOR",
        }
    }
}

/// The id a kind is entered under: kinds are keyed by name, the chain by UUID, so the key is
/// hashed into one (the same key always gives the same id).
pub fn kind_subject_id(key: &str) -> Uuid {
    let digest = Sha256::digest(format!("fact_kind:{key}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// One change, as it is entered.
#[derive(Debug, Clone)]
pub struct ChainEntry {
    pub subject: Subject,
    pub subject_id: Uuid,
    /// The subject's version after the change.
    pub version: i32,
    pub action: &'static str,
    pub actor_id: Option<Uuid>,
    pub comment: Option<String>,
    /// Canonical JSON of what the change left (or did).
    pub snapshot: String,
}

/// The bytes an entry's hash covers, besides the previous hash. Facts' entries predate the
/// other subjects and are hashed as they always were; the others also cover their subject.
fn canonical_row(row: &revision::Model) -> String {
    let mut value = json!({
        "seq": row.seq,
        "id": row.id,
        "factId": row.fact_id,
        "factVersion": row.fact_version,
        "action": row.action,
        "actorId": row.actor_id,
        "comment": row.comment,
        "createdAt": row.created_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "snapshot": row.snapshot,
    });
    if row.subject != Subject::Fact.as_str() {
        if let Some(map) = value.as_object_mut() {
            map.insert("subject".into(), row.subject.clone().into());
        }
    }
    value.to_string()
}

/// SHA-256(previous hash ‖ canonical row), hex-encoded.
pub fn chain_hash(prev_hash: &str, row: &revision::Model) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical_row(row).as_bytes());
    hex::encode(hasher.finalize())
}

/// Appends `entry` to the chain. Must run inside the transaction that made the change: the
/// chain head's row lock serializes appenders.
pub async fn append<C: ConnectionTrait>(db: &C, entry: ChainEntry) -> DomainResult<revision::Model> {
    use entity::revision_chain;
    // Taking the write lock first keeps SQLite from failing a read-to-write upgrade and makes
    // concurrent Postgres appenders queue on the single head row. The UPDATE changes nothing,
    // the only kind besides a one-step advance that the head's guard lets through.
    let lock = Query::update()
        .table(revision_chain::Entity)
        .value(revision_chain::Column::Length, Expr::col(revision_chain::Column::Length))
        .and_where(Expr::col(revision_chain::Column::Id).eq(1))
        .to_owned();
    db.execute(&lock).await?;
    let head = revision_chain::Entity::find_by_id(1)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::Internal("revision chain head is missing".into()))?;
    let mut row = revision::Model {
        id: Uuid::now_v7(),
        seq: head.length + 1,
        subject: entry.subject.as_str().to_owned(),
        fact_id: entry.subject_id,
        fact_version: entry.version,
        action: entry.action.to_owned(),
        actor_id: entry.actor_id,
        comment: entry.comment,
        snapshot: entry.snapshot,
        created_at: now(),
        prev_hash: head.head_hash.clone(),
        hash: String::new(),
    };
    row.hash = chain_hash(&head.head_hash, &row);
    revision::Entity::insert(revision::ActiveModel {
        id: Set(row.id),
        seq: Set(row.seq),
        subject: Set(row.subject.clone()),
        fact_id: Set(row.fact_id),
        fact_version: Set(row.fact_version),
        action: Set(row.action.clone()),
        actor_id: Set(row.actor_id),
        comment: Set(row.comment.clone()),
        snapshot: Set(row.snapshot.clone()),
        created_at: Set(row.created_at),
        prev_hash: Set(row.prev_hash.clone()),
        hash: Set(row.hash.clone()),
    })
    .exec_without_returning(db)
    .await?;
    // The guard checks that this is one step, to the entry just appended, linked to the old head.
    let advance = Query::update()
        .table(revision_chain::Entity)
        .value(revision_chain::Column::Length, row.seq)
        .value(revision_chain::Column::HeadHash, row.hash.clone())
        .and_where(Expr::col(revision_chain::Column::Id).eq(1))
        .to_owned();
    db.execute(&advance).await?;
    Ok(row)
}
