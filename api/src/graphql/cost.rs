//! The cost of a query, measured on its syntax tree before async-graphql validates it.
//! Validation of fragment-heavy documents can take exponential time (a fragment that spreads the
//! previous one twice, twenty times over, names a million fields); here every fragment's
//! expanded size is computed once and reused, so the whole check is linear in the document.
use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::parser::{parse_query, Positioned};

/// Limits on one query; every one is configurable (see `ServeConfig`).
#[derive(Debug, Clone, Copy)]
pub struct CostLimits {
    /// Longest query text, in bytes.
    pub max_bytes: usize,
    /// Most fields once every fragment is expanded (aliases and `__typename` count).
    pub max_fields: u64,
    /// Most aliased fields, `__typename` included.
    pub max_aliases: u64,
    /// Deepest nesting of selections.
    pub max_depth: u64,
    /// Most directives on one field, fragment spread or inline fragment.
    pub max_directives: usize,
    /// Most lexical tokens (names, values, punctuation), counted before the query is parsed.
    pub max_tokens: usize,
}

impl Default for CostLimits {
    fn default() -> Self {
        Self {
            max_bytes: 16 * 1024,
            max_fields: 2_000,
            max_aliases: 50,
            max_depth: 16,
            max_directives: 4,
            max_tokens: 4_000,
        }
    }
}

/// Why a query was refused; each has its own error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CostRejection {
    #[error("the query is {size} bytes; the limit is {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("the query selects {fields} fields once its fragments are expanded; the limit is {limit}")]
    TooManyFields { fields: u64, limit: u64 },
    #[error("the query uses {aliases} aliases; the limit is {limit}")]
    TooManyAliases { aliases: u64, limit: u64 },
    #[error("the query nests {depth} levels deep; the limit is {limit}")]
    TooDeep { depth: u64, limit: u64 },
    #[error("a selection carries {count} directives; the limit is {limit}")]
    TooManyDirectives { count: usize, limit: usize },
    #[error("the query has more tokens than the limit of {limit}")]
    TooManyTokens { limit: usize },
    #[error("fragment `{0}` spreads itself")]
    FragmentCycle(String),
}

impl CostRejection {
    /// The `extensions.code` of the rejection.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "QUERY_TOO_LARGE",
            Self::TooManyFields { .. } => "QUERY_TOO_COMPLEX",
            Self::TooManyAliases { .. } => "TOO_MANY_ALIASES",
            Self::TooDeep { .. } => "QUERY_TOO_DEEP",
            Self::TooManyDirectives { .. } => "TOO_MANY_DIRECTIVES",
            Self::TooManyTokens { .. } => "TOO_MANY_TOKENS",
            Self::FragmentCycle(_) => "BAD_USER_INPUT",
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Cost {
    fields: u64,
    aliases: u64,
    depth: u64,
}

impl Cost {
    fn add(self, other: Cost) -> Cost {
        Cost {
            fields: self.fields.saturating_add(other.fields),
            aliases: self.aliases.saturating_add(other.aliases),
            depth: self.depth.max(other.depth),
        }
    }
}

struct Walker<'a> {
    document: &'a ExecutableDocument,
    limits: CostLimits,
    memo: HashMap<&'a str, Cost>,
    in_progress: Vec<&'a str>,
}

impl<'a> Walker<'a> {
    fn directives(&self, count: usize) -> Result<(), CostRejection> {
        if count > self.limits.max_directives {
            return Err(CostRejection::TooManyDirectives { count, limit: self.limits.max_directives });
        }
        Ok(())
    }

    fn selection_set(&mut self, set: &'a Positioned<SelectionSet>) -> Result<Cost, CostRejection> {
        let mut total = Cost::default();
        for item in &set.node.items {
            let cost = match &item.node {
                Selection::Field(field) => {
                    self.directives(field.node.directives.len())?;
                    let child = self.selection_set(&field.node.selection_set)?;
                    Cost {
                        fields: child.fields.saturating_add(1),
                        aliases: child.aliases.saturating_add(u64::from(field.node.alias.is_some())),
                        depth: child.depth + 1,
                    }
                }
                Selection::FragmentSpread(spread) => {
                    self.directives(spread.node.directives.len())?;
                    self.fragment(spread.node.fragment_name.node.as_str())?
                }
                Selection::InlineFragment(inline) => {
                    self.directives(inline.node.directives.len())?;
                    self.selection_set(&inline.node.selection_set)?
                }
            };
            total = total.add(cost);
        }
        Ok(total)
    }

    fn fragment(&mut self, name: &'a str) -> Result<Cost, CostRejection> {
        if let Some(cost) = self.memo.get(name) {
            return Ok(*cost);
        }
        if self.in_progress.contains(&name) {
            return Err(CostRejection::FragmentCycle(name.to_owned()));
        }
        // An unknown fragment costs nothing here; validation reports it.
        let Some((key, definition)) = self.document.fragments.get_key_value(name) else { return Ok(Cost::default()) };
        self.in_progress.push(key.as_str());
        self.directives(definition.node.directives.len())?;
        let cost = self.selection_set(&definition.node.selection_set)?;
        self.in_progress.pop();
        self.memo.insert(key.as_str(), cost);
        Ok(cost)
    }
}

/// Checks `query` against `limits`. A query that does not parse passes: async-graphql reports
/// its syntax error.
pub fn check(query: &str, limits: CostLimits) -> Result<(), CostRejection> {
    if query.len() > limits.max_bytes {
        return Err(CostRejection::TooLarge { size: query.len(), limit: limits.max_bytes });
    }
    if exceeds_tokens(query, limits.max_tokens) {
        return Err(CostRejection::TooManyTokens { limit: limits.max_tokens });
    }
    let Ok(document) = parse_query(query) else { return Ok(()) };
    let mut walker = Walker { document: &document, limits, memo: HashMap::new(), in_progress: Vec::new() };
    let mut total = Cost::default();
    for (_, operation) in document.operations.iter() {
        walker.directives(operation.node.directives.len())?;
        total = total.add(walker.selection_set(&operation.node.selection_set)?);
    }
    for name in document.fragments.keys() {
        walker.fragment(name.as_str())?;
    }
    if total.depth > limits.max_depth {
        return Err(CostRejection::TooDeep { depth: total.depth, limit: limits.max_depth });
    }
    if total.aliases > limits.max_aliases {
        return Err(CostRejection::TooManyAliases { aliases: total.aliases, limit: limits.max_aliases });
    }
    if total.fields > limits.max_fields {
        return Err(CostRejection::TooManyFields { fields: total.fields, limit: limits.max_fields });
    }
    Ok(())
}

/// Whether `query` holds more than `limit` lexical tokens. One pass, stopping at the limit, so
/// the parser never sees a document of many thousands of tiny tokens. Strings (block strings
/// included) and comments are skipped whole; a malformed string simply ends the count.
fn exceeds_tokens(query: &str, limit: usize) -> bool {
    let bytes = query.as_bytes();
    let (mut at, mut tokens) = (0, 0);
    while at < bytes.len() {
        let byte = bytes[at];
        match byte {
            b' ' | b'\t' | b'\n' | b'\r' | b',' | 0xEF | 0xBB | 0xBF => {
                at += 1;
                continue;
            }
            b'#' => {
                at = bytes[at..].iter().position(|b| *b == b'\n').map_or(bytes.len(), |end| at + end);
                continue;
            }
            b'"' if bytes[at..].starts_with(b"\"\"\"") => {
                let body = at + 3;
                at = find_block_string_end(&bytes[body..]).map_or(bytes.len(), |end| body + end + 3);
            }
            b'"' => {
                at += 1;
                while at < bytes.len() && bytes[at] != b'"' && bytes[at] != b'\n' {
                    at += if bytes[at] == b'\\' { 2 } else { 1 };
                }
                at += 1;
            }
            b'.' if bytes[at..].starts_with(b"...") => at += 3,
            b if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' => {
                at += 1;
                while at < bytes.len()
                    && (bytes[at].is_ascii_alphanumeric() || matches!(bytes[at], b'_' | b'.' | b'+' | b'-'))
                {
                    at += 1;
                }
            }
            _ => at += 1,
        }
        tokens += 1;
        if tokens > limit {
            return true;
        }
    }
    false
}

/// Where a block string's closing `"""` starts, skipping escaped `\"""`.
fn find_block_string_end(body: &[u8]) -> Option<usize> {
    let mut at = 0;
    while at + 3 <= body.len() {
        if body[at..].starts_with(b"\\\"\"\"") {
            at += 4;
        } else if body[at..].starts_with(b"\"\"\"") {
            return Some(at);
        } else {
            at += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fragment_bomb(levels: usize) -> String {
        let mut query = String::from("query { factKinds { ...F0 } }\nfragment F0 on FactKind { key label }\n");
        for level in 1..=levels {
            query.push_str(&format!("fragment F{level} on FactKind {{ ...F{} ...F{} }}\n", level - 1, level - 1));
        }
        query.replace("...F0 } }", &format!("...F{levels} }} }}"))
    }

    #[test]
    fn a_nested_fragment_bomb_is_measured_without_expanding_it() {
        let query = fragment_bomb(22);
        assert!(query.len() < 1024);
        let rejection = check(&query, CostLimits::default()).unwrap_err();
        // The count is exact (`factKinds` plus 2 fields × 2^22 spreads): only a memoized walk gets there.
        assert_eq!(rejection, CostRejection::TooManyFields { fields: (2 << 22) + 1, limit: 2_000 });
    }

    #[test]
    fn tokens_are_counted_before_parsing_and_strings_and_comments_count_once() {
        let limits = CostLimits { max_tokens: 11, ..CostLimits::default() };
        // { facts ( first : 1 ) { id } } is 11 tokens.
        assert!(check("{ facts(first: 1) { id } }", limits).is_ok());
        assert!(check("# a comment with many words in it\n{ facts(first: 1) { id } }", limits).is_ok());
        assert!(check("{ search(q: \"many words, one string\") { id } }", limits).is_ok());
        assert!(check("{ search(q: \"\"\"block \\\"\"\" string\"\"\") { id } }", limits).is_ok());
        let rejection = check("{ facts(first: 1) { id summary } }", limits).unwrap_err();
        assert_eq!(rejection, CostRejection::TooManyTokens { limit: 11 });
        assert_eq!(rejection.code(), "TOO_MANY_TOKENS");
        let many_values = format!("{{ factKinds(x: [{}]) {{ key }} }}", "1 ".repeat(5_000));
        assert_eq!(check(&many_values, CostLimits::default()).unwrap_err().code(), "TOO_MANY_TOKENS");
        assert!(exceeds_tokens("...", 0) && !exceeds_tokens("...", 1) && !exceeds_tokens("-1.5e+3", 1));
    }

    #[test]
    fn aliases_of_typename_count() {
        let aliases: String = (0..60).map(|i| format!("a{i}: __typename ")).collect();
        let rejection = check(&format!("{{ {aliases} }}"), CostLimits::default()).unwrap_err();
        assert_eq!(rejection.code(), "TOO_MANY_ALIASES");
    }

    #[test]
    fn ordinary_queries_pass() {
        assert!(check(
            "{ facts(first: 100) { nodes { id summary participants { actor { name } } } } }",
            CostLimits::default()
        )
        .is_ok());
        assert!(check("not graphql", CostLimits::default()).is_ok(), "syntax errors are async-graphql's to report");
    }

    #[test]
    fn fragment_cycles_and_directive_piles_are_refused() {
        let cycle = "{ factKinds { ...A } } fragment A on FactKind { ...B } fragment B on FactKind { ...A }";
        assert_eq!(check(cycle, CostLimits::default()).unwrap_err().code(), "BAD_USER_INPUT");
        let piled = "{ factKinds @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) { key } }";
        assert_eq!(check(piled, CostLimits::default()).unwrap_err().code(), "TOO_MANY_DIRECTIVES");
    }
}
