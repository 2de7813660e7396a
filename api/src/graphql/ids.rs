//! Opaque global ids (`Node` interface): base64url of `Type:key`. Clients must not parse them.
use async_graphql::ID;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use uuid::Uuid;

use crate::domain::ids::{ActorId, ApiKeyId, CitationId, Decoded, FactId, RevisionId, SourceId, UserId};
use crate::domain::{DomainError, DomainResult, Violations};

pub const FACT: &str = "Fact";
pub const ACTOR: &str = "Actor";
pub const SOURCE: &str = "Source";
pub const FACT_KIND: &str = "FactKind";
pub const USER: &str = "User";
pub const CITATION: &str = "Citation";
pub const API_KEY: &str = "ApiKey";
pub const REVISION: &str = "Revision";

pub fn encode(type_name: &str, key: &str) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{type_name}:{key}")))
}

pub fn encode_uuid(type_name: &str, id: Uuid) -> ID {
    with_uuid_id(type_name, id, |id| ID(id.to_owned()))
}

/// Calls `write` with the global id of a uuid, encoded on the stack rather than in new strings:
/// for writers of millions of ids (the bulk exports).
pub fn with_uuid_id<R>(type_name: &str, id: Uuid, write: impl FnOnce(&str) -> R) -> R {
    const MAX_TYPE: usize = 27;
    if type_name.len() > MAX_TYPE {
        return write(&encode(type_name, &id.to_string()));
    }
    let mut plain = [0u8; MAX_TYPE + 1 + uuid::fmt::Hyphenated::LENGTH];
    let colon = type_name.len();
    plain[..colon].copy_from_slice(type_name.as_bytes());
    plain[colon] = b':';
    let end = colon + 1 + uuid::fmt::Hyphenated::LENGTH;
    id.hyphenated().encode_lower(&mut plain[colon + 1..end]);
    let mut encoded = [0u8; (MAX_TYPE + 1 + uuid::fmt::Hyphenated::LENGTH).div_ceil(3) * 4];
    let length = URL_SAFE_NO_PAD.encode_slice(&plain[..end], &mut encoded).expect("the buffer fits any type name");
    write(std::str::from_utf8(&encoded[..length]).expect("base64 is ASCII"))
}

/// Splits a global id into its type and key; anything else is BAD_USER_INPUT on `field`.
pub fn decode_any(id: &str, field: &str) -> DomainResult<(String, String)> {
    let invalid = || DomainError::invalid(field, "is not a valid id");
    if id.len() > 200 {
        return Err(invalid());
    }
    let bytes = URL_SAFE_NO_PAD.decode(id.trim_end_matches('=')).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    // A fact kind's key is looked up as it is; Postgres cannot compare text holding NUL.
    if text.contains('\0') {
        return Err(invalid());
    }
    let (type_name, key) = text.split_once(':').ok_or_else(invalid)?;
    if !matches!(type_name, FACT | ACTOR | SOURCE | FACT_KIND | USER | CITATION | API_KEY | REVISION) || key.is_empty()
    {
        return Err(invalid());
    }
    if type_name != FACT_KIND {
        Uuid::parse_str(key).map_err(|_| invalid())?;
    }
    Ok((type_name.to_owned(), key.to_owned()))
}

/// Decodes an id that must name a `type_name`; an id of another type is BAD_USER_INPUT.
pub fn decode_uuid(id: &str, type_name: &str, field: &str) -> DomainResult<Uuid> {
    let (found, key) = decode_any(id, field)?;
    if found != type_name {
        let article = if type_name.starts_with(['A', 'E', 'I', 'O', 'U']) { "an" } else { "a" };
        return Err(DomainError::invalid(field, format!("is not the id of {article} {type_name}")));
    }
    Uuid::parse_str(&key).map_err(|_| DomainError::invalid(field, "is not a valid id"))
}

/// A typed id and the type name its global ids carry.
pub trait GlobalId: Copy {
    const TYPE_NAME: &'static str;
    fn from_uuid(uuid: Uuid) -> Self;
    fn uuid(self) -> Uuid;
}

macro_rules! global_id {
    ($id:ty, $name:expr) => {
        impl GlobalId for $id {
            const TYPE_NAME: &'static str = $name;
            fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }
            fn uuid(self) -> Uuid {
                self.0
            }
        }
    };
}

global_id!(FactId, FACT);
global_id!(ActorId, ACTOR);
global_id!(SourceId, SOURCE);
global_id!(UserId, USER);
global_id!(CitationId, CITATION);
global_id!(ApiKeyId, API_KEY);
global_id!(RevisionId, REVISION);

/// The global id of a typed id.
pub fn global<T: GlobalId>(id: T) -> ID {
    encode_uuid(T::TYPE_NAME, id.uuid())
}

/// Decodes the global id in the argument `field`; a bad one is BAD_USER_INPUT on `field`.
pub fn decode<T: GlobalId>(id: &str, field: &str) -> DomainResult<T> {
    decode_uuid(id, T::TYPE_NAME, field).map(T::from_uuid)
}

/// Decodes an id inside an input. A bad one is reported in `violations` at `path` and stands
/// as `Unreadable`, so that validation reports it together with every other problem.
pub fn decode_in<T: GlobalId>(id: &str, path: String, violations: &mut Violations) -> Decoded<T> {
    match decode_uuid(id, T::TYPE_NAME, &path) {
        Ok(uuid) => Decoded::Valid(T::from_uuid(uuid)),
        Err(DomainError::InvalidInput(found)) => {
            for v in found {
                violations.add(v.field, v.message);
            }
            Decoded::Unreadable
        }
        Err(_) => {
            violations.add(path, "is not a valid id");
            Decoded::Unreadable
        }
    }
}

/// Decodes a list of ids of one type, reporting every bad one with its index.
pub fn decode_list<T: GlobalId>(ids: &[ID], field: &str, violations: &mut Violations) -> Vec<T> {
    ids.iter()
        .enumerate()
        .filter_map(|(index, id)| decode_in::<T>(id, format!("{field}[{index}]"), violations).valid())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_refuse_foreign_types() {
        let uuid = Uuid::now_v7();
        let id = encode_uuid(FACT, uuid);
        assert_eq!(decode_uuid(&id, FACT, "id").unwrap(), uuid);
        assert!(decode_uuid(&id, ACTOR, "id").is_err());
        assert!(decode_uuid("garbage", FACT, "id").is_err());
        assert!(decode_uuid(&URL_SAFE_NO_PAD.encode("User:1"), FACT, "id").is_err());
        assert!(decode_any(&URL_SAFE_NO_PAD.encode("FactKind:policy\u{0}"), "id").is_err());
    }

    #[test]
    fn uuid_ids_encoded_on_the_stack_are_the_ids_encoded_from_text() {
        let uuid = Uuid::now_v7();
        for type_name in
            [FACT, FACT_KIND, CITATION, "", "A_type_name_of_27_characters", "A_type_name_longer_than_27_characters"]
        {
            assert_eq!(encode_uuid(type_name, uuid), encode(type_name, &uuid.to_string()), "{type_name}");
        }
    }
}
