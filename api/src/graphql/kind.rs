//! The vocabulary of fact kinds.
use super::context::{ContextExt, Required};
use super::error::Result;
use super::ids;
use crate::domain::kind::store::{create_kind, deprecate_kind, kind_history, update_kind, KindInput};
use crate::domain::kind::{list_kinds, string_list};
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::enums::ParticipantRole;
use entity::fact_kind;
use sea_orm::Iterable;

#[derive(Clone)]
pub struct FactKind {
    pub model: fact_kind::Model,
}

/// A kind of fact in the controlled vocabulary (e.g. `diplomatic.phone_call`).
#[Object]
impl FactKind {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        ids::encode(ids::FACT_KIND, &self.model.key)
    }
    /// Stable key, e.g. `military.basing_access`.
    async fn key(&self) -> &str {
        &self.model.key
    }
    /// Human-readable name.
    async fn label(&self) -> &str {
        &self.model.label
    }
    /// What facts of this kind record.
    async fn description(&self) -> &str {
        &self.model.description
    }
    /// Category the kind belongs to (the key's prefix, e.g. `diplomatic`).
    async fn category(&self) -> &str {
        &self.model.category
    }
    /// Whether the participants play interchangeable parts (a call between A and B is one between B and A).
    async fn symmetric(&self) -> bool {
        self.model.symmetric
    }
    /// Qualifier keys a fact of this kind may carry.
    async fn allowed_qualifiers(&self) -> Vec<String> {
        string_list(&self.model.allowed_qualifiers)
    }
    /// Qualifier keys a fact of this kind must carry.
    async fn required_qualifiers(&self) -> Vec<String> {
        string_list(&self.model.required_qualifiers)
    }
    /// Participant roles a fact of this kind admits.
    async fn allowed_roles(&self) -> Vec<ParticipantRole> {
        let roles = string_list(&self.model.allowed_roles);
        ParticipantRole::iter().filter(|role| roles.iter().any(|r| r == role.as_str())).collect()
    }
    /// Incremented by every change; `updateFactKind` and `deprecateFactKind` name the version read.
    async fn version(&self) -> i32 {
        self.model.version
    }
    /// When it was deprecated (no new fact may use it; the facts that do stay valid).
    async fn deprecated_at(&self) -> Option<DateTime<Utc>> {
        self.model.deprecated_at
    }
    /// Why it was deprecated.
    async fn deprecation_reason(&self) -> Option<&str> {
        self.model.deprecation_reason.as_deref()
    }
    /// Every change of this kind through the API, oldest first (who made it is not shown).
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<FactKindRevision>> {
        let rows = kind_history(ctx.db(), &self.model.key).await?;
        Ok(rows
            .into_iter()
            .map(|row| FactKindRevision { version: row.kind_version, action: row.action, at: row.created_at })
            .collect())
    }
    /// CAMEO event code used when exporting, where one fits.
    async fn cameo_code(&self) -> Option<&str> {
        self.model.cameo_code.as_deref()
    }
}

#[derive(Default)]
pub struct KindQuery;

#[Object]
impl KindQuery {
    /// Every fact kind, sorted by key; optionally only those of one category.
    async fn fact_kinds(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only kinds of this category, e.g. `diplomatic`.")] category: Option<String>,
    ) -> Result<Vec<FactKind>> {
        Ok(list_kinds(ctx.db(), category.as_deref()).await?.into_iter().map(|model| FactKind { model }).collect())
    }
}

/// One change of a fact kind.
#[derive(SimpleObject)]
pub struct FactKindRevision {
    /// The kind's version after the change.
    pub version: i32,
    /// CREATED, UPDATED or DEPRECATED.
    pub action: String,
    /// When it happened.
    pub at: DateTime<Utc>,
}

/// A fact kind as an admin describes it.
#[derive(InputObject)]
pub struct FactKindInput {
    /// `category.name` in lower-case letters, digits and `_`, e.g. `diplomatic.invitation`.
    pub key: String,
    /// Human-readable name (1–120 characters).
    pub label: String,
    /// What facts of this kind record (1–2000 characters).
    pub description: String,
    /// Whether the participants play interchangeable parts.
    #[graphql(default)]
    pub symmetric: bool,
    /// Qualifier keys a fact of this kind may carry (at most 20).
    #[graphql(default)]
    pub allowed_qualifiers: Vec<String>,
    /// Qualifier keys it must carry; each one of `allowedQualifiers`.
    #[graphql(default)]
    pub required_qualifiers: Vec<String>,
    /// Participant roles it admits (at least one).
    pub allowed_roles: Vec<ParticipantRole>,
    /// CAMEO event code, where one fits (2 to 4 digits).
    pub cameo_code: Option<String>,
}

impl From<FactKindInput> for KindInput {
    fn from(input: FactKindInput) -> Self {
        Self {
            key: input.key,
            label: input.label,
            description: input.description,
            symmetric: input.symmetric,
            allowed_qualifiers: input.allowed_qualifiers,
            required_qualifiers: input.required_qualifiers,
            allowed_roles: input.allowed_roles,
            cameo_code: input.cameo_code,
        }
    }
}

/// A revision of a fact kind.
#[derive(InputObject)]
pub struct UpdateFactKindInput {
    /// The kind's key (it cannot change).
    pub key: String,
    /// The version the change is based on.
    pub expected_version: i32,
    /// The kind as it should read; errors name its fields as `kind.label` and so on.
    pub kind: FactKindInput,
}

/// A new fact kind.
#[derive(InputObject)]
pub struct CreateFactKindInput {
    /// The kind.
    #[graphql(flatten)]
    pub kind: FactKindInput,
}

/// The deprecation of a fact kind.
#[derive(InputObject)]
pub struct DeprecateFactKindInput {
    /// The kind's key.
    pub key: String,
    /// The version the deprecation is based on.
    pub expected_version: i32,
    /// Why no new fact may use it (1–2000 characters).
    pub reason: String,
}

/// What a vocabulary mutation did.
#[derive(SimpleObject)]
pub struct FactKindPayload {
    /// The kind as the change left it.
    pub fact_kind: FactKind,
}

/// Why a non-admin may not change the vocabulary.
const MANAGE_VOCABULARY: &str = "only an admin may change the vocabulary";

#[derive(Default)]
pub struct KindMutation;

#[Object]
impl KindMutation {
    /// Admins: adds a kind to the vocabulary.
    async fn create_fact_kind(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The kind.")] input: CreateFactKindInput,
    ) -> Result<FactKindPayload> {
        let principal = ctx.require_role(Required::Admin, MANAGE_VOCABULARY)?;
        let model = create_kind(ctx.db(), principal, input.kind.into()).await?;
        Ok(FactKindPayload { fact_kind: FactKind { model } })
    }

    /// Admins: revises a kind (not its key); the facts that use it stay as they are.
    async fn update_fact_kind(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The kind, its version and its new description.")] input: UpdateFactKindInput,
    ) -> Result<FactKindPayload> {
        let principal = ctx.require_role(Required::Admin, MANAGE_VOCABULARY)?;
        let model = update_kind(ctx.db(), principal, &input.key, input.expected_version, input.kind.into()).await?;
        Ok(FactKindPayload { fact_kind: FactKind { model } })
    }

    /// Admins: deprecates a kind: no new fact may use it; the facts that do stay valid.
    async fn deprecate_fact_kind(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The kind, its version and why.")] input: DeprecateFactKindInput,
    ) -> Result<FactKindPayload> {
        let principal = ctx.require_role(Required::Admin, MANAGE_VOCABULARY)?;
        let model = deprecate_kind(ctx.db(), principal, &input.key, input.expected_version, input.reason).await?;
        Ok(FactKindPayload { fact_kind: FactKind { model } })
    }
}
