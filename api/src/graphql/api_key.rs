//! API keys for clients (admins only): list, create (the key is shown once), revoke.
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::api_key;

use super::context::{ContextExt, Required};
use super::error::Result;
use super::ids;
use crate::domain::api_key::{create_api_key, list_api_keys, revoke_api_key, NewApiKey};
use crate::domain::ids::ApiKeyId;

const MANAGE_KEYS: &str = "only an admin may manage API keys";

/// An API key as stored.
pub struct ApiKey(pub api_key::Model);

/// A client's API key (the key itself is shown once, by `createApiKey`). Requests carrying it in
/// the `X-Api-Key` header are counted against its own rate and named by it in logs and metrics;
/// it grants nothing beyond what the request could do without it.
#[Object]
impl ApiKey {
    /// Opaque global id.
    async fn id(&self) -> ID {
        ids::global(ApiKeyId(self.0.id))
    }
    /// Name shown in logs and metrics.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The key's first characters, to tell keys apart.
    async fn prefix(&self) -> &str {
        &self.0.key_prefix
    }
    /// Requests per minute allowed to requests carrying it (0: no limit).
    async fn rate_per_minute(&self) -> i32 {
        self.0.rate_per_minute
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it was revoked (null while it works).
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

#[derive(Default)]
pub struct ApiKeyQuery;

#[Object]
impl ApiKeyQuery {
    /// Admin: every API key, revoked ones included, oldest first.
    async fn api_keys(&self, ctx: &Context<'_>) -> Result<Vec<ApiKey>> {
        ctx.require_role(Required::Admin, MANAGE_KEYS)?;
        Ok(list_api_keys(ctx.db()).await?.into_iter().map(ApiKey).collect())
    }
}

/// A new API key.
#[derive(InputObject)]
pub struct CreateApiKeyInput {
    /// Name shown in logs and metrics: 1 to 64 characters of a-z, 0-9, `-`, `_`, `.`; unique.
    pub name: String,
    /// Requests per minute (default 6,000; 0: no limit; at most 1,000,000).
    pub rate_per_minute: Option<i32>,
}

/// What `createApiKey` did.
#[derive(SimpleObject)]
pub struct CreateApiKeyPayload {
    /// The new key's record.
    pub api_key: ApiKey,
    /// The key to send in the `X-Api-Key` header. Shown this once: only its SHA-256 is kept.
    pub key: String,
}

/// The revocation of a key.
#[derive(InputObject)]
pub struct RevokeApiKeyInput {
    /// Global id of the ApiKey.
    pub id: ID,
}

/// What `revokeApiKey` did.
#[derive(SimpleObject)]
pub struct RevokeApiKeyPayload {
    /// The key, revoked.
    pub api_key: ApiKey,
}

#[derive(Default)]
pub struct ApiKeyMutation;

#[Object]
impl ApiKeyMutation {
    /// Admin: creates an API key for a client such as a frontend's server.
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The key's name and rate.")] input: CreateApiKeyInput,
    ) -> Result<CreateApiKeyPayload> {
        let admin = ctx.require_role(Required::Admin, MANAGE_KEYS)?;
        let new = NewApiKey { name: input.name, rate_per_minute: input.rate_per_minute };
        let created = create_api_key(ctx.db(), new, Some(admin.user_id)).await?;
        Ok(CreateApiKeyPayload { api_key: ApiKey(created.record), key: created.key })
    }

    /// Admin: revokes an API key; requests carrying it are refused within
    /// `--api-key-recheck-secs` (5 s by default) on every server.
    async fn revoke_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The key.")] input: RevokeApiKeyInput,
    ) -> Result<RevokeApiKeyPayload> {
        let admin = ctx.require_role(Required::Admin, MANAGE_KEYS)?;
        let id = ids::decode::<ApiKeyId>(&input.id, "id")?;
        Ok(RevokeApiKeyPayload { api_key: ApiKey(revoke_api_key(ctx.db(), id.0, Some(admin.user_id)).await?) })
    }
}
