//! Typed ids. Every aggregate's id is its own type, so a source's id can never be passed where
//! an actor's is expected; the GraphQL edge decodes global ids into these once, and the domain
//! never sees an id it has not been told the type of.
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh id: UUIDv7, so ids sort by creation time.
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

typed_id!(
    /// The id of a fact.
    FactId
);
typed_id!(
    /// The id of an actor (a state, organization, person or outlet).
    ActorId
);
typed_id!(
    /// The id of a source document.
    SourceId
);
typed_id!(
    /// The id of a citation (a quote tying a fact to a source).
    CitationId
);
typed_id!(
    /// The id of an account.
    UserId
);
typed_id!(
    /// The id of an API key.
    ApiKeyId
);
typed_id!(
    /// The id of a revision of the history.
    RevisionId
);

/// Rows store who did what as plain UUIDs; a principal compares with them directly.
impl PartialEq<Uuid> for UserId {
    fn eq(&self, other: &Uuid) -> bool {
        self.0 == *other
    }
}

/// An id inside an input, as the edge decoded it. `Unreadable` stands for one that was
/// malformed or named another type: the edge has already reported it, at its field path, in the
/// `Violations` it hands to validation, so the rules neither look it up nor report it twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Decoded<T> {
    Valid(T),
    Unreadable,
}

impl<T: Copy> Decoded<T> {
    /// The id, when it could be read.
    pub fn valid(self) -> Option<T> {
        match self {
            Self::Valid(id) => Some(id),
            Self::Unreadable => None,
        }
    }
}
