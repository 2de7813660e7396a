//! Full-text search over fact summaries, qualifiers and quotes: Postgres `tsvector` with a GIN
//! index, SQLite FTS5. Both stem English words and require every word of the query.
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::DatabaseBackend;

/// The words of a search string, as both backends will match them.
pub fn search_terms(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|word| !word.is_empty()).map(str::to_lowercase).collect()
}

/// A condition true for the ids of facts whose search document matches every term.
pub fn fact_id_matches(backend: DatabaseBackend, id_column: SimpleExpr, terms: &[String]) -> SimpleExpr {
    match backend {
        DatabaseBackend::Postgres => {
            let query = terms.join(" & ");
            id_column.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column("fact_id")
                    .from("fact_search_documents")
                    .and_where(Expr::cust_with_values("tsv @@ to_tsquery('english', $1)", [query]))
                    .to_owned(),
            )
        }
        _ => {
            // Each term quoted, so no user input is ever read as FTS5 syntax.
            let query = terms.iter().map(|term| format!("\"{}\"", term.replace('"', ""))).collect::<Vec<_>>().join(" ");
            id_column.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column("fact_id")
                    .from("fact_search_fts")
                    .and_where(Expr::cust_with_values("fact_search_fts MATCH ?", [query]))
                    .to_owned(),
            )
        }
    }
}
