//! sea-orm entities: one module per table, plus the enumerations stored as text.
pub mod actor;
pub mod actor_alias;
pub mod actor_redirect;
pub mod citation;
pub mod enums;
pub mod fact;
pub mod fact_kind;
pub mod fact_kind_revision;
pub mod fact_participant;
pub mod fact_qualifier;
pub mod fact_search_document;
pub mod idempotency_key;
pub mod revision;
pub mod revision_chain;
pub mod source;
pub mod source_revision;
pub mod user;
