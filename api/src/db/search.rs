//! Full-text search over fact summaries, qualifiers and quotes: Postgres `tsvector` with a GIN
//! index, SQLite FTS5. Both stem English words and require every word of the query.
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::DatabaseBackend;

/// The words of a search string, as both backends will match them: runs of letters and digits,
/// lower-cased (nothing else of the caller's text reaches the SQL).
pub fn search_terms(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|word| !word.is_empty()).map(str::to_lowercase).collect()
}

/// A condition true for the ids of facts whose search document matches every term.
pub fn fact_id_matches(backend: DatabaseBackend, id_column: SimpleExpr, terms: &[String]) -> SimpleExpr {
    match backend {
        DatabaseBackend::Postgres => {
            // Written into the SQL, not bound: how many documents a word matches varies by orders
            // of magnitude, and a bound query soon gets Postgres's generic plan, which assumes
            // the average (the shared benchmark's search ran at 1.8x with custom plans). The
            // terms are letters and digits only (`search_terms`); quotes are doubled anyway.
            let query = terms.join(" & ").replace('\'', "''");
            id_column.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column("fact_id")
                    .from("fact_search_documents")
                    .and_where(Expr::cust(format!("tsv @@ to_tsquery('english', '{query}')")))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_letters_and_digits_reach_the_search_sql() {
        assert_eq!(
            search_terms("Naval BASE's, 'x'); DROP--\\ ½ Россия"),
            ["naval", "base", "s", "x", "drop", "½", "россия"]
        );
        for term in search_terms("a'b\"c\\d;e") {
            assert!(term.chars().all(char::is_alphanumeric), "{term}");
        }
    }
}
