//! Reading sources: by id, by (normalized) URL, by outlet.
use std::collections::HashMap;

use entity::enums::CitationStatus;
use entity::{citation, fact, source};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, IdenStatic, Iterable, PaginatorTrait, QueryFilter,
    QuerySelect, Select,
};
use uuid::Uuid;

use crate::domain::fact::query::PUBLIC_STATUSES;
use crate::domain::ids::ActorId;
use crate::domain::pagination::{id_cursor, page_by_id, Cursor, Page, PageRequest};
use crate::domain::urls::canonicalize_url;
use crate::domain::{DomainError, DomainResult};

const CURSOR_TAG: &str = "source-id";

#[derive(Debug, Clone, Default)]
pub struct SourceFilter {
    pub outlets: Vec<ActorId>,
    /// Only sources the public may see (see `cited_by_a_public_fact`).
    pub public_only: bool,
}

impl SourceFilter {
    fn condition(&self) -> Condition {
        let mut cond = Condition::all();
        if !self.outlets.is_empty() {
            cond = cond.add(source::Column::OutletId.is_in(self.outlets.iter().map(|a| a.0)));
        }
        if self.public_only {
            cond = cond.add(cited_by_a_public_fact());
        }
        cond
    }
}

/// The sources the public may see: those a public (published, retracted or superseded) fact
/// cites. A source an editor records stays unseen, title, URL and snapshot, until a fact citing
/// it is published; editors, reviewers and admins see every source, so that they can cite it.
fn cited_by_a_public_fact() -> SimpleExpr {
    source::Column::Id.in_subquery(public_source_ids())
}

/// Whether the public may see the source `id` (a public fact cites it).
pub async fn is_public<C: ConnectionTrait>(db: &C, id: crate::domain::ids::SourceId) -> DomainResult<bool> {
    use sea_orm::PaginatorTrait;
    let found =
        source::Entity::find().filter(source::Column::Id.eq(id.0)).filter(cited_by_a_public_fact()).count(db).await?;
    Ok(found > 0)
}

/// The ids of the sources the public may see (see `cited_by_a_public_fact`), as a subquery.
fn public_source_ids() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(citation::Column::SourceId)
        .from(citation::Entity)
        .inner_join(
            fact::Entity,
            Expr::col((fact::Entity, fact::Column::Id)).equals((citation::Entity, citation::Column::FactId)),
        )
        .and_where(fact::Column::Status.is_in(PUBLIC_STATUSES.iter().copied()))
        // A proposal is not public until a reviewer approves it; a withdrawn citation was.
        .and_where(
            Expr::col((citation::Entity, citation::Column::Status))
                .is_in([CitationStatus::Active, CitationStatus::Withdrawn]),
        )
        .to_owned()
}

/// The cursor pointing at `source` in the newest-first ordering.
pub fn cursor_of(source: &source::Model) -> Cursor {
    id_cursor(CURSOR_TAG, source.id)
}

/// One page of sources, newest first (ids are UUIDv7, so id order is creation order).
pub async fn list_sources<C: ConnectionTrait>(
    db: &C,
    filter: &SourceFilter,
    page: &PageRequest,
) -> DomainResult<Page<source::Model>> {
    let select = without_snapshot(source::Entity::find().filter(filter.condition()));
    page_by_id(db, select, source::Column::Id, CURSOR_TAG, false, page).await
}

/// How many sources match `filter`.
pub async fn count_sources<C: ConnectionTrait>(db: &C, filter: &SourceFilter) -> DomainResult<u64> {
    Ok(source::Entity::find().filter(filter.condition()).count(db).await?)
}

/// Sources read for display, without their snapshot text (up to 500,000 characters each, and
/// needed only by `snapshots_of`'s readers): `snapshot` is None in the models this gives, and
/// `snapshot_sha256` says whether there is one.
pub fn without_snapshot(select: Select<source::Entity>) -> Select<source::Entity> {
    select
        .select_only()
        .columns(source::Column::iter().filter(|column| !matches!(column, source::Column::Snapshot)))
        .column_as(Expr::cust("CAST(NULL AS TEXT)"), source::Column::Snapshot.as_str())
}

/// Sources by id (without their snapshot text), in one statement.
pub async fn sources_by_ids<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> DomainResult<HashMap<Uuid, source::Model>> {
    let select = source::Entity::find().filter(source::Column::Id.is_in(ids.iter().copied()));
    let rows = without_snapshot(select).all(db).await?;
    Ok(rows.into_iter().map(|row| (row.id, row)).collect())
}

/// The sources among `ids` that the public may see (without their snapshot text), in one
/// statement.
pub async fn public_sources_by_ids<C: ConnectionTrait>(
    db: &C,
    ids: &[Uuid],
) -> DomainResult<HashMap<Uuid, source::Model>> {
    let select =
        source::Entity::find().filter(source::Column::Id.is_in(ids.iter().copied())).filter(cited_by_a_public_fact());
    let rows = without_snapshot(select).all(db).await?;
    Ok(rows.into_iter().map(|row| (row.id, row)).collect())
}

/// The snapshot texts of the sources among `ids` that have one, in one statement.
pub async fn snapshots_of<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> DomainResult<HashMap<Uuid, String>> {
    let rows: Vec<(Uuid, String)> = source::Entity::find()
        .select_only()
        .columns([source::Column::Id, source::Column::Snapshot])
        .filter(source::Column::Id.is_in(ids.iter().copied()))
        .filter(source::Column::Snapshot.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The source stored under the canonical form of `url` (with `public_only`, only if the public
/// may see it); a malformed URL is an error on `argument`.
pub async fn source_by_url<C: ConnectionTrait>(
    db: &C,
    url: &str,
    argument: &str,
    public_only: bool,
) -> DomainResult<Option<source::Model>> {
    let canonical = canonicalize_url(url).map_err(|e| DomainError::invalid(argument, e.to_string()))?;
    let mut select = source::Entity::find().filter(source::Column::CanonicalUrl.eq(canonical));
    if public_only {
        select = select.filter(cited_by_a_public_fact());
    }
    Ok(select.one(db).await?)
}
