//! The parts of a page of facts read together with the records they name, in one statement
//! whatever the number of facts: participants with their actors, and citations with their
//! sources and the sources' outlets, as the two branches of one `UNION ALL`. A page of facts with
//! everything a reader sees of it costs its own statement and this one.
//!
//! Every row has the same columns: a `part` tag, the fact and position it sorts by, then each
//! entity's columns (`p` participant, `a` actor, `c` citation, `s` source, `o` outlet; read by
//! position, `db::rows`); a branch fills its own entities' columns and leaves the other
//! branch's NULL.
//!
//! Sources come without their snapshot text (up to 500,000 characters each): a page shows a
//! source's URL and outlet, and the few fields that need the text read it on their own
//! (`source::query::snapshots_of`).
use std::collections::HashMap;

use entity::{actor, citation, fact_participant, source};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query, SelectStatement, UnionType};
use sea_orm::{ConnectionTrait, IdenStatic};
use uuid::Uuid;

use crate::db::rows::{select_model, ModelAt, ModelColumns};
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

/// The columns every branch starts with: its tag and the fact and position rows sort by.
fn select_sort_key(query: &mut SelectStatement, tag: i32, table: &str) {
    query
        .expr_as(Expr::val(tag), Alias::new("part"))
        .expr_as(Expr::col((Alias::new(table), Alias::new("fact_id"))), Alias::new("sort_fact"))
        .expr_as(Expr::col((Alias::new(table), Alias::new("position"))), Alias::new("sort_position"));
}

/// Where each entity's columns start in a row: after the tag and the sort key.
const P_AT: usize = 3;
const A_AT: usize = P_AT + fact_participant::Model::COLUMNS.len();
const C_AT: usize = A_AT + actor::Model::COLUMNS.len();
const S_AT: usize = C_AT + citation::Model::COLUMNS.len();
const O_AT: usize = S_AT + source::Model::COLUMNS.len();

/// The entities of both branches in row order; `participant_branch` says which ones this branch
/// reads.
fn select_entities(query: &mut SelectStatement, participant_branch: bool) {
    let own = |mine: bool, table| if mine { ModelColumns::From { table, omitted: &[] } } else { ModelColumns::Null };
    select_model::<fact_participant::Model>(query, "p", own(participant_branch, "p"));
    select_model::<actor::Model>(query, "a", own(participant_branch, "a"));
    select_model::<citation::Model>(query, "c", own(!participant_branch, "c"));
    let source_columns = if participant_branch {
        ModelColumns::Null
    } else {
        ModelColumns::From { table: "s", omitted: &[source::Column::Snapshot.as_str()] }
    };
    select_model::<source::Model>(query, "s", source_columns);
    select_model::<actor::Model>(query, "o", own(!participant_branch, "o"));
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
        if row.try_get_by_index::<i32>(0)? == PARTICIPANT_ROW {
            participants.push(fact_participant::Model::model_at(row, P_AT)?);
            actors.push(actor::Model::model_at(row, A_AT)?);
        } else {
            citations.push(citation::Model::model_at(row, C_AT)?);
            sources.push(source::Model::model_at(row, S_AT)?);
            if row.try_get_by_index::<Option<Uuid>>(O_AT)?.is_some() {
                outlets.push(actor::Model::model_at(row, O_AT)?);
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
