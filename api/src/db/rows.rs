//! Several entities read from one row of a joined statement, by position.
//!
//! sea-orm's `FromQueryResult` finds a joined entity's columns by name (`{prefix}{column}`),
//! which formats every name and looks it up in the row for every column of every row: a tenth of
//! a page's CPU. A [`ModelAt`] model is read from consecutive positions instead, and
//! [`select_model`] selects its columns in exactly that order, from the same list, so the two
//! cannot disagree.
use sea_orm::sea_query::{Alias, Condition, Expr, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};

/// A model read from `COLUMNS.len()` consecutive columns of a row.
pub trait ModelAt: Sized {
    /// The entity's columns, in the order `model_at` reads them.
    const COLUMNS: &'static [&'static str];

    /// Reads the model from the row's columns `base..base + COLUMNS.len()`.
    fn model_at(row: &QueryResult, base: usize) -> Result<Self, DbErr>;
}

/// Implements [`ModelAt`] for structs from their field names, which are their columns' names;
/// the struct literal fails to compile when the list misses a field.
macro_rules! row_at {
    ($($model:ty { $($field:ident),* $(,)? })*) => {$(
        impl $crate::db::rows::ModelAt for $model {
            const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),*];

            fn model_at(row: &sea_orm::QueryResult, base: usize) -> Result<Self, sea_orm::DbErr> {
                let mut index = base;
                let mut next = || {
                    index += 1;
                    index - 1
                };
                Ok(Self { $($field: row.try_get_by_index(next())?,)* })
            }
        }
    )*};
}
pub(crate) use row_at;

/// [`row_at!`] for `entity::$module::Model`.
macro_rules! model_at {
    ($($module:ident { $($field:ident),* $(,)? })*) => {
        row_at! { $(entity::$module::Model { $($field),* })* }
    };
}

model_at! {
    fact {
        id, kind_key, summary, modality, occurred_on, occurred_precision, occurred_until, country,
        status, version, created_by, last_edited_by, reviewed_by, created_at, updated_at,
        published_at, retracted_at, retraction_reason, supersedes_id, superseded_by_id,
    }
    fact_kind {
        key, label, description, category, symmetric, allowed_qualifiers, required_qualifiers,
        allowed_roles, cameo_code, created_at, version, deprecated_at, deprecation_reason,
    }
    fact_participant { id, fact_id, actor_id, role, title, position }
    actor { id, name, name_folded, description, kind, country, wikidata_qid, version, created_at, updated_at }
    citation {
        id, fact_id, source_id, quote, attributed_to_id, attribution, relayed_from_id, verified,
        quote_start, quote_end, position, status, proposed_by, decided_by, status_reason, proposed_at,
        quote_sha256,
    }
    source {
        id, canonical_url, url, title, kind, outlet_id, published_on, published_precision,
        retrieved_at, language, archive_url, snapshot, snapshot_sha256, created_by, version, created_at,
        updated_at,
    }
}

/// The `M`s of `table` that meet `condition`, ordered by `order`, read by position: for reading
/// many rows of one table, where a model's columns found by name would cost more than the rows.
pub async fn rows_where<M: ModelAt, C: ConnectionTrait>(
    db: &C,
    table: &str,
    condition: Condition,
    order: &[&str],
    limit: Option<u64>,
) -> Result<Vec<M>, DbErr> {
    let mut query = Query::select();
    select_model::<M>(&mut query, "r", ModelColumns::From { table, omitted: &[] });
    query.from(Alias::new(table)).cond_where(condition);
    for column in order {
        query.order_by((Alias::new(table), Alias::new(*column)), Order::Asc);
    }
    if let Some(limit) = limit {
        query.limit(limit);
    }
    let rows = db.query_all(&query).await?;
    rows.iter().map(|row| M::model_at(row, 0)).collect()
}

/// How a statement selects a model's columns.
#[derive(Debug, Clone, Copy)]
pub enum ModelColumns<'a> {
    /// From the table aliased `table`; the `omitted` ones as NULL text.
    From { table: &'a str, omitted: &'a [&'a str] },
    /// All NULL (the other branch of a UNION reads this model). Untyped, so that Postgres gives
    /// each the type of the other branch's column.
    Null,
}

/// Selects `M`'s columns in [`ModelAt`] order, each as `{prefix}_{column}` (names only help
/// whoever reads the statement in a log; the model is read by position).
pub fn select_model<M: ModelAt>(query: &mut SelectStatement, prefix: &str, columns: ModelColumns<'_>) {
    for name in M::COLUMNS {
        let alias = Alias::new(format!("{prefix}_{name}"));
        match columns {
            ModelColumns::Null => query.expr_as(Expr::cust("NULL"), alias),
            ModelColumns::From { omitted, .. } if omitted.contains(name) => {
                query.expr_as(Expr::cust("CAST(NULL AS TEXT)"), alias)
            }
            ModelColumns::From { table, .. } => query.expr_as(Expr::col((Alias::new(table), Alias::new(*name))), alias),
        };
    }
}
