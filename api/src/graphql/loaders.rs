//! Per-request DataLoaders: each batches the keys requested while resolving one level of a
//! query into a single statement, so a page costs the same number of statements whatever its size.
use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use chrono::{DateTime, Utc};
use entity::{actor, citation, fact, fact_kind, fact_participant, fact_qualifier, source, user};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::domain::account::query as accounts;
use crate::domain::actor::query as actors;
use crate::domain::fact::as_of::{self, FactAsOf};
use crate::domain::fact::query as facts;
use crate::domain::source::query as sources;
use crate::domain::{kind as kinds, DomainError};

pub type LoadError = Arc<DomainError>;

macro_rules! batch_loader {
    ($(#[$meta:meta])* $name:ident, $key:ty, $value:ty, $load:path) => {
        $(#[$meta])*
        pub struct $name(DatabaseConnection);

        impl Loader<$key> for $name {
            type Value = $value;
            type Error = LoadError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, Self::Error> {
                $load(&self.0, keys).await.map_err(Arc::new)
            }
        }
    };
}

batch_loader!(/// Facts by id.
    FactById, Uuid, fact::Model, facts::facts_by_ids);
batch_loader!(/// Actors by id.
    ActorById, Uuid, actor::Model, actors::actors_by_ids);
batch_loader!(/// Sources by id.
    SourceById, Uuid, source::Model, sources::sources_by_ids);
batch_loader!(/// Sources by id, only those the public may see.
    PublicSourceById, Uuid, source::Model, sources::public_sources_by_ids);
batch_loader!(/// Source snapshot texts by source id (lists of sources leave them out).
    SnapshotBySource, Uuid, String, sources::snapshots_of);
batch_loader!(/// Fact kinds by key.
    KindByKey, String, fact_kind::Model, kinds::kinds_by_keys);
batch_loader!(/// Participants by fact id.
    ParticipantsByFact, Uuid, Vec<fact_participant::Model>, facts::participants_of);
batch_loader!(/// Qualifiers by fact id.
    QualifiersByFact, Uuid, Vec<fact_qualifier::Model>, facts::qualifiers_of);
batch_loader!(/// Citations by fact id.
    CitationsByFact, Uuid, Vec<citation::Model>, facts::citations_of);
batch_loader!(/// Accounts by id.
    UserById, Uuid, user::Model, accounts::users_by_ids);
batch_loader!(/// Aliases by actor id.
    AliasesByActor, Uuid, Vec<String>, actors::aliases_of);

/// Facts as the public saw them at a moment (`asOf`), by id and moment: the keys of one batch
/// are read with one rebuild per distinct moment (a query rarely names more than one).
pub struct FactAsOfById(DatabaseConnection);

impl Loader<(Uuid, DateTime<Utc>)> for FactAsOfById {
    type Value = FactAsOf;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(Uuid, DateTime<Utc>)],
    ) -> Result<HashMap<(Uuid, DateTime<Utc>), Self::Value>, Self::Error> {
        let mut by_moment: HashMap<DateTime<Utc>, Vec<Uuid>> = HashMap::new();
        for (id, at) in keys {
            by_moment.entry(*at).or_default().push(*id);
        }
        let mut found = HashMap::new();
        for (at, ids) in by_moment {
            let rebuilt = as_of::facts_as_of(&self.0, &ids, at).await.map_err(Arc::new)?;
            found.extend(rebuilt.into_iter().map(|(id, fact)| ((id, at), fact)));
        }
        Ok(found)
    }
}

/// The loaders of one request (their caches live as long as the request).
pub struct Loaders {
    pub facts: DataLoader<FactById, HashMapCache>,
    pub facts_as_of: DataLoader<FactAsOfById, HashMapCache>,
    pub actors: DataLoader<ActorById, HashMapCache>,
    pub sources: DataLoader<SourceById, HashMapCache>,
    pub public_sources: DataLoader<PublicSourceById, HashMapCache>,
    pub snapshots: DataLoader<SnapshotBySource, HashMapCache>,
    pub kinds: DataLoader<KindByKey, HashMapCache>,
    pub participants: DataLoader<ParticipantsByFact, HashMapCache>,
    pub qualifiers: DataLoader<QualifiersByFact, HashMapCache>,
    pub citations: DataLoader<CitationsByFact, HashMapCache>,
    pub aliases: DataLoader<AliasesByActor, HashMapCache>,
    pub users: DataLoader<UserById, HashMapCache>,
}

impl Loaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        fn make<L: Loader<K>, K: Send + Sync + std::hash::Hash + Eq + Clone + 'static>(
            loader: L,
        ) -> DataLoader<L, HashMapCache>
        where
            L::Value: Send + Sync + Clone + 'static,
        {
            DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default())
        }
        Self {
            facts: make(FactById(db.clone())),
            facts_as_of: make(FactAsOfById(db.clone())),
            actors: make(ActorById(db.clone())),
            sources: make(SourceById(db.clone())),
            public_sources: make(PublicSourceById(db.clone())),
            snapshots: make(SnapshotBySource(db.clone())),
            kinds: make(KindByKey(db.clone())),
            participants: make(ParticipantsByFact(db.clone())),
            qualifiers: make(QualifiersByFact(db.clone())),
            citations: make(CitationsByFact(db.clone())),
            aliases: make(AliasesByActor(db.clone())),
            users: make(UserById(db.clone())),
        }
    }

    /// Loaders that keep nothing from one load to the next, for a subscription: it lives for
    /// hours, and each event must show the record as it is then. Loads made for one event are
    /// still batched.
    pub fn uncached(db: &DatabaseConnection) -> Self {
        let loaders = Self::new(db);
        loaders.facts.enable_all_cache(false);
        loaders.actors.enable_all_cache(false);
        loaders.sources.enable_all_cache(false);
        loaders.public_sources.enable_all_cache(false);
        loaders.snapshots.enable_all_cache(false);
        loaders.kinds.enable_all_cache(false);
        loaders.participants.enable_all_cache(false);
        loaders.qualifiers.enable_all_cache(false);
        loaders.citations.enable_all_cache(false);
        loaders.aliases.enable_all_cache(false);
        loaders.users.enable_all_cache(false);
        loaders
    }
}
