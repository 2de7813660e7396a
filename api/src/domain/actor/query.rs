//! Reading actors: lookup by name or alias (case-insensitive), kind and country.
use std::collections::HashMap;

use entity::enums::ActorKind;
use entity::{actor, actor_alias};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::domain::countries::is_country_code;
use crate::domain::pagination::{finish_page, keyset, Cursor, Page, PageRequest};
use crate::domain::{fold, group_by_parent, DomainResult, Violations};

pub const MAX_NAME_SEARCH: usize = 200;

#[derive(Debug, Clone, Default)]
pub struct ActorFilter {
    /// Case-insensitive substring of the name or of any alias.
    pub search: Option<String>,
    pub kinds: Vec<ActorKind>,
    pub country: Option<String>,
}

const CURSOR_TAG: &str = "actor-name";

/// Escapes LIKE wildcards so user text only ever matches itself.
fn like_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

impl ActorFilter {
    pub fn validate(&self, prefix: &str) -> DomainResult<()> {
        let mut violations = Violations::new();
        if let Some(search) = &self.search {
            if search.trim().is_empty() {
                violations.add(format!("{prefix}.search"), "must not be empty");
            } else if search.chars().count() > MAX_NAME_SEARCH {
                violations.add(format!("{prefix}.search"), format!("must be at most {MAX_NAME_SEARCH} characters"));
            }
        }
        if let Some(country) = &self.country {
            if !is_country_code(country) {
                violations.add(format!("{prefix}.country"), "must be an ISO 3166-1 alpha-2 code such as SY");
            }
        }
        violations.into_result()
    }

    fn condition(&self) -> Condition {
        let mut cond = Condition::all();
        if let Some(search) = &self.search {
            let pattern = like_pattern(&fold(search));
            let by_alias = Query::select()
                .column(actor_alias::Column::ActorId)
                .from(actor_alias::Entity)
                .and_where(
                    Expr::col(actor_alias::Column::AliasFolded)
                        .like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\')),
                )
                .to_owned();
            cond = cond.add(
                Condition::any()
                    .add(
                        Expr::col((actor::Entity, actor::Column::NameFolded))
                            .like(sea_orm::sea_query::LikeExpr::new(pattern).escape('\\')),
                    )
                    .add(Expr::col((actor::Entity, actor::Column::Id)).in_subquery(by_alias)),
            );
        }
        if !self.kinds.is_empty() {
            cond = cond.add(actor::Column::Kind.is_in(self.kinds.iter().copied()));
        }
        if let Some(country) = &self.country {
            cond = cond.add(actor::Column::Country.eq(country.clone()));
        }
        cond
    }
}

/// The cursor pointing at `actor` in the by-name ordering.
pub fn cursor_of(actor: &actor::Model) -> Cursor {
    Cursor { ordering: CURSOR_TAG, key: actor.name_folded.clone(), id: actor.id }
}

/// One page of actors, sorted by name.
pub async fn list_actors<C: ConnectionTrait>(
    db: &C,
    filter: &ActorFilter,
    page: &PageRequest,
) -> DomainResult<Page<actor::Model>> {
    let position = match &page.cursor {
        Some(raw) => {
            let cursor = Cursor::decode(raw, CURSOR_TAG, page.cursor_argument())?;
            Some((cursor.key.into(), cursor.id))
        }
        None => None,
    };
    let select = keyset(
        actor::Entity::find().filter(filter.condition()),
        actor::Column::NameFolded,
        actor::Column::Id,
        position,
        true,
        page,
    );
    Ok(finish_page(select.all(db).await?, page))
}

/// How many actors match `filter`.
pub async fn count_actors<C: ConnectionTrait>(db: &C, filter: &ActorFilter) -> DomainResult<u64> {
    Ok(actor::Entity::find().filter(filter.condition()).count(db).await?)
}

/// Actors by id, in one statement.
pub async fn actors_by_ids<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> DomainResult<HashMap<Uuid, actor::Model>> {
    let rows = actor::Entity::find().filter(actor::Column::Id.is_in(ids.iter().copied())).all(db).await?;
    Ok(rows.into_iter().map(|row| (row.id, row)).collect())
}

/// The aliases of several actors, in one statement.
pub async fn aliases_of<C: ConnectionTrait>(db: &C, actor_ids: &[Uuid]) -> DomainResult<HashMap<Uuid, Vec<String>>> {
    let rows = actor_alias::Entity::find()
        .filter(actor_alias::Column::ActorId.is_in(actor_ids.iter().copied()))
        .order_by_asc(actor_alias::Column::Alias)
        .all(db)
        .await?;
    let grouped: HashMap<_, _> = group_by_parent(actor_ids, rows, |row| row.actor_id);
    Ok(grouped.into_iter().map(|(id, rows)| (id, rows.into_iter().map(|row| row.alias).collect())).collect())
}

/// The actor called `name` (or known by that alias), ignoring case.
pub async fn find_by_name<C: ConnectionTrait>(db: &C, name: &str) -> DomainResult<Option<actor::Model>> {
    let folded = fold(name);
    if let Some(found) = actor::Entity::find().filter(actor::Column::NameFolded.eq(folded.clone())).one(db).await? {
        return Ok(Some(found));
    }
    let alias = actor_alias::Entity::find().filter(actor_alias::Column::AliasFolded.eq(folded)).one(db).await?;
    Ok(match alias {
        Some(alias) => actor::Entity::find_by_id(alias.actor_id).one(db).await?,
        None => None,
    })
}

/// Where an actor's id leads now: itself, or (once merged) the actor it was merged into.
pub async fn resolve_redirect<C: ConnectionTrait>(db: &C, id: Uuid) -> DomainResult<Uuid> {
    let redirect = entity::actor_redirect::Entity::find_by_id(id).one(db).await?;
    Ok(redirect.map_or(id, |r| r.to_id))
}
