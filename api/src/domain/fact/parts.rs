//! The parts of a page of facts read together with the records they name, one joined statement
//! per part, whatever the number of facts: participants with their actors; citations with their
//! sources and the sources' outlets. A page of facts with everything a reader sees of it costs
//! its own statement and these two.
//!
//! Sources come without their snapshot text (up to 500,000 characters each): a page shows a
//! source's URL and outlet, and the few fields that need the text read it on their own
//! (`source::query::snapshots_of`).
use std::collections::HashMap;

use entity::{actor, citation, fact_participant, source};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult, IdenStatic, Iterable, QueryResult};
use uuid::Uuid;

use crate::domain::{group_by_parent, DomainResult};

/// Selects every column of `E` from the table aliased `table`, as `{table}_{column}`, so that
/// several entities read from one row do not clash; the `omitted` columns are read as NULL.
fn select_entity<E: EntityTrait>(query: &mut SelectStatement, table: &str, omitted: &[&str]) {
    for column in E::Column::iter() {
        let name = column.as_str();
        let alias = Alias::new(format!("{table}_{name}"));
        if omitted.contains(&name) {
            query.expr_as(Expr::cust("CAST(NULL AS TEXT)"), alias);
        } else {
            query.expr_as(Expr::col((Alias::new(table), Alias::new(name))), alias);
        }
    }
}

/// Reads the entity selected by `select_entity` under `table`.
fn read_entity<M: FromQueryResult>(row: &QueryResult, table: &str) -> DomainResult<M> {
    Ok(M::from_query_result(row, &format!("{table}_"))?)
}

/// The participants of `fact_ids` in their recorded order, and the actors they name.
pub async fn participants_with_actors<C: ConnectionTrait>(
    db: &C,
    fact_ids: &[Uuid],
) -> DomainResult<(HashMap<Uuid, Vec<fact_participant::Model>>, Vec<actor::Model>)> {
    let mut query = Query::select();
    query
        .from_as(fact_participant::Entity, Alias::new("p"))
        .join_as(
            JoinType::InnerJoin,
            actor::Entity,
            Alias::new("a"),
            Expr::col((Alias::new("a"), actor::Column::Id))
                .equals((Alias::new("p"), fact_participant::Column::ActorId)),
        )
        .and_where(Expr::col((Alias::new("p"), fact_participant::Column::FactId)).is_in(fact_ids.iter().copied()))
        .order_by((Alias::new("p"), fact_participant::Column::FactId), Order::Asc)
        .order_by((Alias::new("p"), fact_participant::Column::Position), Order::Asc);
    select_entity::<fact_participant::Entity>(&mut query, "p", &[]);
    select_entity::<actor::Entity>(&mut query, "a", &[]);
    let rows = db.query_all(&query).await?;
    let mut participants = Vec::with_capacity(rows.len());
    let mut actors = Vec::with_capacity(rows.len());
    for row in &rows {
        participants.push(read_entity::<fact_participant::Model>(row, "p")?);
        actors.push(read_entity::<actor::Model>(row, "a")?);
    }
    Ok((group_by_parent(fact_ids, participants, |p| p.fact_id), actors))
}

/// The citations of `fact_ids` (every status) in their recorded order, with their sources
/// (without the snapshot text) and the outlets of those sources.
pub struct CitationsWithSources {
    pub citations: HashMap<Uuid, Vec<citation::Model>>,
    pub sources: Vec<source::Model>,
    pub outlets: Vec<actor::Model>,
}

pub async fn citations_with_sources<C: ConnectionTrait>(
    db: &C,
    fact_ids: &[Uuid],
) -> DomainResult<CitationsWithSources> {
    let (c, s, o) = (Alias::new("c"), Alias::new("s"), Alias::new("o"));
    let mut query = Query::select();
    query
        .from_as(citation::Entity, c.clone())
        .join_as(
            JoinType::InnerJoin,
            source::Entity,
            s.clone(),
            Expr::col((s.clone(), source::Column::Id)).equals((c.clone(), citation::Column::SourceId)),
        )
        .join_as(
            JoinType::LeftJoin,
            actor::Entity,
            o.clone(),
            Expr::col((o.clone(), actor::Column::Id)).equals((s.clone(), source::Column::OutletId)),
        )
        .and_where(Expr::col((c.clone(), citation::Column::FactId)).is_in(fact_ids.iter().copied()))
        .order_by((c.clone(), citation::Column::FactId), Order::Asc)
        .order_by((c, citation::Column::Position), Order::Asc);
    select_entity::<citation::Entity>(&mut query, "c", &[]);
    select_entity::<source::Entity>(&mut query, "s", &[source::Column::Snapshot.as_str()]);
    select_entity::<actor::Entity>(&mut query, "o", &[]);
    let rows = db.query_all(&query).await?;
    let mut citations = Vec::with_capacity(rows.len());
    let mut sources = Vec::with_capacity(rows.len());
    let mut outlets = Vec::new();
    for row in &rows {
        citations.push(read_entity::<citation::Model>(row, "c")?);
        sources.push(read_entity::<source::Model>(row, "s")?);
        if row.try_get::<Option<Uuid>>("", "o_id")?.is_some() {
            outlets.push(read_entity::<actor::Model>(row, "o")?);
        }
    }
    Ok(CitationsWithSources { citations: group_by_parent(fact_ids, citations, |c| c.fact_id), sources, outlets })
}
