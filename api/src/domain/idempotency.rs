//! Idempotency keys for creating mutations: a retry with the same key and the same request
//! returns the first result; the same key with another request is refused. The key is claimed
//! by the first write of the creating transaction, so concurrent retries queue behind the first
//! and then find its result.
use entity::idempotency_key;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::{now, DomainError, DomainResult};

pub const MAX_KEY_LENGTH: usize = 200;

/// The outcome of claiming a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First use: go on and create, then `complete`.
    Fresh,
    /// Already used for this same request: its stored response.
    Replay(String),
}

/// A key scoped to who sent it and what they asked for.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub principal: String,
    pub operation: &'static str,
    pub key: String,
    pub request_sha256: String,
}

impl IdempotencyKey {
    /// Validates the client's key; `request` is the decoded input, fingerprinted by
    /// `fingerprint` so that the same request gives the same digest in every release.
    pub fn new(
        principal: String,
        operation: &'static str,
        key: &str,
        request: &impl serde::Serialize,
    ) -> DomainResult<Self> {
        if key.trim().is_empty() || key.chars().count() > MAX_KEY_LENGTH || key.chars().any(char::is_control) {
            return Err(DomainError::invalid(
                "idempotencyKey",
                format!("must be 1 to {MAX_KEY_LENGTH} printable characters"),
            ));
        }
        Ok(Self { principal, operation, key: key.to_owned(), request_sha256: fingerprint(request)? })
    }

    /// Claims the key inside the creating transaction (its first write).
    pub async fn claim<C: ConnectionTrait>(&self, txn: &C) -> DomainResult<Claim> {
        let inserted = idempotency_key::Entity::insert(idempotency_key::ActiveModel {
            principal: Set(self.principal.clone()),
            operation: Set(self.operation.to_owned()),
            key: Set(self.key.clone()),
            request_sha256: Set(self.request_sha256.clone()),
            response: Set(String::new()),
            created_at: Set(now()),
        })
        .on_conflict(
            OnConflict::columns([
                idempotency_key::Column::Principal,
                idempotency_key::Column::Operation,
                idempotency_key::Column::Key,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
        if inserted == 1 {
            return Ok(Claim::Fresh);
        }
        let existing = idempotency_key::Entity::find()
            .filter(idempotency_key::Column::Principal.eq(self.principal.clone()))
            .filter(idempotency_key::Column::Operation.eq(self.operation))
            .filter(idempotency_key::Column::Key.eq(self.key.clone()))
            .one(txn)
            .await?
            .ok_or_else(|| DomainError::Internal("idempotency key vanished".into()))?;
        if existing.request_sha256 != self.request_sha256 {
            return Err(DomainError::invalid("idempotencyKey", "was already used for a different request"));
        }
        Ok(Claim::Replay(existing.response))
    }

    /// The stored response of an earlier use of this key, without claiming it: lets a retry
    /// return its first result even when the state the request was checked against has moved on.
    pub async fn lookup<C: ConnectionTrait>(&self, db: &C) -> DomainResult<Option<String>> {
        let existing = idempotency_key::Entity::find()
            .filter(idempotency_key::Column::Principal.eq(self.principal.clone()))
            .filter(idempotency_key::Column::Operation.eq(self.operation))
            .filter(idempotency_key::Column::Key.eq(self.key.clone()))
            .one(db)
            .await?;
        match existing {
            None => Ok(None),
            Some(row) if row.request_sha256 != self.request_sha256 => {
                Err(DomainError::invalid("idempotencyKey", "was already used for a different request"))
            }
            Some(row) => Ok(Some(row.response)),
        }
    }

    /// Records the result the key stands for, in the same transaction.
    pub async fn complete<C: ConnectionTrait>(&self, txn: &C, response: &str) -> DomainResult<()> {
        idempotency_key::Entity::update_many()
            .col_expr(idempotency_key::Column::Response, sea_orm::sea_query::Expr::val(response))
            .filter(idempotency_key::Column::Principal.eq(self.principal.clone()))
            .filter(idempotency_key::Column::Operation.eq(self.operation))
            .filter(idempotency_key::Column::Key.eq(self.key.clone()))
            .exec(txn)
            .await?;
        Ok(())
    }
}

/// The SHA-256 of `request` rendered as canonical JSON: object keys sorted, no white space.
/// It depends on the input's field names and values only, never on how Rust prints a type.
pub fn fingerprint(request: &impl serde::Serialize) -> DomainResult<String> {
    let value = serde_json::to_value(request).map_err(|e| DomainError::Internal(format!("fingerprint: {e}")))?;
    let mut canonical = String::new();
    write_canonical(&value, &mut canonical);
    Ok(super::sha256_hex(&canonical))
}

fn write_canonical(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (index, (key, item)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::from(key.as_str()).to_string());
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fact::{CitationInput, FactInput, ParticipantInput};
    use crate::domain::ids::{ActorId, Decoded, SourceId};
    use entity::enums::{Attribution, DatePrecision, Modality, ParticipantRole};

    fn pinned_input() -> FactInput {
        let id = |text: &str| uuid::Uuid::parse_str(text).unwrap();
        FactInput {
            kind: "diplomatic.phone_call".into(),
            summary: "A call.".into(),
            modality: Modality::Occurred,
            occurred_on: chrono::NaiveDate::from_ymd_opt(2025, 2, 12).unwrap(),
            occurred_precision: DatePrecision::Day,
            occurred_until: None,
            country: None,
            participants: vec![ParticipantInput {
                actor: Decoded::Valid(ActorId(id("0194f774-9400-7000-8000-000000000001"))),
                role: ParticipantRole::Participant,
                title: None,
            }],
            qualifiers: vec![],
            citations: vec![CitationInput {
                source: Decoded::Valid(SourceId(id("0194f774-9400-7000-8000-000000000002"))),
                quote: "Hello".into(),
                attribution: Attribution::Direct,
                attributed_to: None,
                relayed_from: None,
            }],
        }
    }

    /// Fingerprints are stored with idempotency keys: a release that renders the same request
    /// differently would refuse a retry that spans the upgrade. This pins the rendering.
    #[test]
    fn the_fingerprint_of_a_fact_input_is_pinned() {
        let value = serde_json::to_value(pinned_input()).unwrap();
        let mut canonical = String::new();
        write_canonical(&value, &mut canonical);
        assert_eq!(
            canonical,
            r#"{"citations":[{"attributed_to":null,"attribution":"DIRECT","quote":"Hello","relayed_from":null,"source":{"Valid":"0194f774-9400-7000-8000-000000000002"}}],"country":null,"kind":"diplomatic.phone_call","modality":"OCCURRED","occurred_on":"2025-02-12","occurred_precision":"DAY","occurred_until":null,"participants":[{"actor":{"Valid":"0194f774-9400-7000-8000-000000000001"},"role":"PARTICIPANT","title":null}],"qualifiers":[],"summary":"A call."}"#
        );
        assert_eq!(
            fingerprint(&pinned_input()).unwrap(),
            "6d580fccb334c279bcc82e19436eead926a9128422014b71ffd9dfe6f23c8f96"
        );
    }

    #[test]
    fn the_fingerprint_ignores_the_order_of_object_keys() {
        let a = serde_json::json!({ "b": 1, "a": { "d": [1, 2], "c": null } });
        let b = serde_json::json!({ "a": { "c": null, "d": [1, 2] }, "b": 1 });
        assert_eq!(fingerprint(&a).unwrap(), fingerprint(&b).unwrap());
        assert_ne!(fingerprint(&a).unwrap(), fingerprint(&serde_json::json!({ "b": 1 })).unwrap());
    }
}
