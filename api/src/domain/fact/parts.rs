//! The parts of a page of facts read together with the records they name, in one statement
//! whatever the number of facts: participants with their actors, and citations with their
//! sources and the sources' outlets, as the two branches of one `UNION ALL`. A page of facts with
//! everything a reader sees of it costs its own statement and this one.
//!
//! Every row has the same columns: a `part` tag, the fact and position it sorts by, then each
//! entity's columns under `{table}_{column}` (`p` participant, `a` actor, `c` citation,
//! `s` source, `o` outlet); a branch fills its own entities' columns and leaves the other
//! branch's NULL.
//!
//! Sources come without their snapshot text (up to 500,000 characters each): a page shows a
//! source's URL and outlet, and the few fields that need the text read it on their own
//! (`source::query::snapshots_of`).
use std::collections::HashMap;

use entity::{actor, citation, fact_participant, source};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query, SelectStatement, UnionType};
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult, IdenStatic, Iterable, QueryResult};
use uuid::Uuid;

use crate::domain::{group_by_parent, DomainResult};

/// Which parts of the facts to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct PartsWanted {
    pub participants: bool,
    pub citations: bool,
}

/// The parts read, each `None` when it was not wanted.
#[derive(Debug, Default)]
pub struct FactParts {
    /// The participants of each fact in their recorded order, and the actors they name.
    pub participants: Option<ParticipantsWithActors>,
    pub citations: Option<CitationsWithSources>,
}

#[derive(Debug, Default)]
pub struct ParticipantsWithActors {
    pub participants: HashMap<Uuid, Vec<fact_participant::Model>>,
    pub actors: Vec<actor::Model>,
}

/// The citations of the facts (every status) in their recorded order, with their sources
/// (without the snapshot text) and the outlets of those sources.
#[derive(Debug, Default)]
pub struct CitationsWithSources {
    pub citations: HashMap<Uuid, Vec<citation::Model>>,
    pub sources: Vec<source::Model>,
    pub outlets: Vec<actor::Model>,
}

const PARTICIPANT_ROW: i32 = 0;
const CITATION_ROW: i32 = 1;

/// How a branch selects an entity's columns.
enum Columns<'a> {
    /// From the table aliased like the entity's prefix, the named ones read as NULL text.
    Read { omitted: &'a [&'a str] },
    /// All NULL: the entity belongs to the other branch.
    Null,
}

/// Selects every column of `E` as `{prefix}_{column}`, so that several entities read from one
/// row do not clash.
fn select_entity<E: EntityTrait>(query: &mut SelectStatement, prefix: &str, columns: Columns<'_>) {
    for column in E::Column::iter() {
        let name = column.as_str();
        let alias = Alias::new(format!("{prefix}_{name}"));
        match columns {
            // Untyped: the other branch's column gives the type (Postgres resolves a UNION's
            // unknown literals to it).
            Columns::Null => query.expr_as(Expr::cust("NULL"), alias),
            Columns::Read { omitted } if omitted.contains(&name) => {
                query.expr_as(Expr::cust("CAST(NULL AS TEXT)"), alias)
            }
            Columns::Read { .. } => query.expr_as(Expr::col((Alias::new(prefix), Alias::new(name))), alias),
        };
    }
}

/// Reads the entity selected by `select_entity` under `prefix`.
fn read_entity<M: FromQueryResult>(row: &QueryResult, prefix: &str) -> DomainResult<M> {
    Ok(M::from_query_result(row, &format!("{prefix}_"))?)
}

/// The columns every branch starts with: its tag and the fact and position rows sort by.
fn select_sort_key(query: &mut SelectStatement, tag: i32, table: &str) {
    query
        .expr_as(Expr::val(tag), Alias::new("part"))
        .expr_as(Expr::col((Alias::new(table), Alias::new("fact_id"))), Alias::new("sort_fact"))
        .expr_as(Expr::col((Alias::new(table), Alias::new("position"))), Alias::new("sort_position"));
}

/// The entities of both branches in row order; `own` says which ones this branch reads.
fn select_entities(query: &mut SelectStatement, participant_branch: bool) {
    let own = |mine: bool| if mine { Columns::Read { omitted: &[] } } else { Columns::Null };
    select_entity::<fact_participant::Entity>(query, "p", own(participant_branch));
    select_entity::<actor::Entity>(query, "a", own(participant_branch));
    select_entity::<citation::Entity>(query, "c", own(!participant_branch));
    let source_columns = if participant_branch {
        Columns::Null
    } else {
        Columns::Read { omitted: &[source::Column::Snapshot.as_str()] }
    };
    select_entity::<source::Entity>(query, "s", source_columns);
    select_entity::<actor::Entity>(query, "o", own(!participant_branch));
}

fn participants_branch(fact_ids: &[Uuid]) -> SelectStatement {
    let (p, a) = (Alias::new("p"), Alias::new("a"));
    let mut query = Query::select();
    select_sort_key(&mut query, PARTICIPANT_ROW, "p");
    select_entities(&mut query, true);
    query
        .from_as(fact_participant::Entity, p.clone())
        .join_as(
            JoinType::InnerJoin,
            actor::Entity,
            a.clone(),
            Expr::col((a, actor::Column::Id)).equals((p.clone(), fact_participant::Column::ActorId)),
        )
        .and_where(Expr::col((p, fact_participant::Column::FactId)).is_in(fact_ids.iter().copied()));
    query
}

fn citations_branch(fact_ids: &[Uuid]) -> SelectStatement {
    let (c, s, o) = (Alias::new("c"), Alias::new("s"), Alias::new("o"));
    let mut query = Query::select();
    select_sort_key(&mut query, CITATION_ROW, "c");
    select_entities(&mut query, false);
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
            Expr::col((o, actor::Column::Id)).equals((s, source::Column::OutletId)),
        )
        .and_where(Expr::col((c, citation::Column::FactId)).is_in(fact_ids.iter().copied()));
    query
}

/// Reads the `wanted` parts of `fact_ids` in one statement (none when nothing is wanted).
pub async fn parts_of_facts<C: ConnectionTrait>(
    db: &C,
    fact_ids: &[Uuid],
    wanted: PartsWanted,
) -> DomainResult<FactParts> {
    let mut query = match (wanted.participants, wanted.citations) {
        (false, false) => return Ok(FactParts::default()),
        (true, false) => participants_branch(fact_ids),
        (false, true) => citations_branch(fact_ids),
        (true, true) => {
            let mut query = participants_branch(fact_ids);
            query.union(UnionType::All, citations_branch(fact_ids));
            query
        }
    };
    for key in ["part", "sort_fact", "sort_position"] {
        query.order_by(Alias::new(key), Order::Asc);
    }
    let rows = db.query_all(&query).await?;

    let (mut participants, mut actors) = (Vec::new(), Vec::new());
    let (mut citations, mut sources, mut outlets) = (Vec::new(), Vec::new(), Vec::new());
    for row in &rows {
        if row.try_get::<i32>("", "part")? == PARTICIPANT_ROW {
            participants.push(read_entity::<fact_participant::Model>(row, "p")?);
            actors.push(read_entity::<actor::Model>(row, "a")?);
        } else {
            citations.push(read_entity::<citation::Model>(row, "c")?);
            sources.push(read_entity::<source::Model>(row, "s")?);
            if row.try_get::<Option<Uuid>>("", "o_id")?.is_some() {
                outlets.push(read_entity::<actor::Model>(row, "o")?);
            }
        }
    }
    Ok(FactParts {
        participants: wanted.participants.then(|| ParticipantsWithActors {
            participants: group_by_parent(fact_ids, participants, |p| p.fact_id),
            actors,
        }),
        citations: wanted.citations.then(|| CitationsWithSources {
            citations: group_by_parent(fact_ids, citations, |c| c.fact_id),
            sources,
            outlets,
        }),
    })
}
