//! Reading sources: by id, by (normalized) URL, by outlet.
use std::collections::HashMap;

use entity::source;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::pagination::{finish_page, keyset, Cursor, Page, PageRequest};
use super::urls::canonicalize_url;
use super::{DomainError, DomainResult};

const CURSOR_TAG: &str = "source-id";

#[derive(Debug, Clone, Default)]
pub struct SourceFilter {
    pub outlets: Vec<uuid::Uuid>,
}

/// The cursor pointing at `source` in the newest-first ordering.
pub fn cursor_of(source: &source::Model) -> Cursor {
    Cursor { ordering: CURSOR_TAG, key: String::new(), id: source.id }
}

/// One page of sources, newest first (ids are UUIDv7, so id order is creation order).
pub async fn list_sources<C: ConnectionTrait>(
    db: &C,
    filter: &SourceFilter,
    page: &PageRequest,
) -> DomainResult<Page<source::Model>> {
    let position = match &page.cursor {
        Some(raw) => {
            let cursor = Cursor::decode(raw, CURSOR_TAG, page.cursor_argument())?;
            Some((cursor.id.into(), cursor.id))
        }
        None => None,
    };
    let mut cond = Condition::all();
    if !filter.outlets.is_empty() {
        cond = cond.add(source::Column::OutletId.is_in(filter.outlets.iter().copied()));
    }
    let select =
        keyset(source::Entity::find().filter(cond), source::Column::Id, source::Column::Id, position, false, page);
    Ok(finish_page(select.all(db).await?, page))
}

/// Sources by id, in one statement.
pub async fn sources_by_ids<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> DomainResult<HashMap<Uuid, source::Model>> {
    let rows = source::Entity::find().filter(source::Column::Id.is_in(ids.iter().copied())).all(db).await?;
    Ok(rows.into_iter().map(|row| (row.id, row)).collect())
}

/// The source stored under the canonical form of `url`; a malformed URL is an error on `argument`.
pub async fn source_by_url<C: ConnectionTrait>(
    db: &C,
    url: &str,
    argument: &str,
) -> DomainResult<Option<source::Model>> {
    let canonical = canonicalize_url(url).map_err(|e| DomainError::invalid(argument, e.to_string()))?;
    Ok(source::Entity::find().filter(source::Column::CanonicalUrl.eq(canonical)).one(db).await?)
}
