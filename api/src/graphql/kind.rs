//! The vocabulary of fact kinds.
use super::context::ContextExt;
use super::error::Result;
use super::ids;
use crate::domain::kind::{list_kinds, string_list};
use async_graphql::{Context, Object, ID};
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
