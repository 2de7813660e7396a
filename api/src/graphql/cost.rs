//! The cost of a query, measured on its syntax tree before async-graphql validates it.
//! Validation of fragment-heavy documents can take exponential time (a fragment that spreads the
//! previous one twice, twenty times over, names a million fields); here every fragment's
//! expanded size is computed once and reused, so the whole check is linear in the document.
use std::collections::HashMap;

use crate::config::CostLimits;
use crate::error_code::ErrorCode;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::parser::{parse_query, Positioned};

/// The complexity weight of a field holding long text (a source's snapshot): one such field
/// costs as much as fifty ordinary ones.
pub const LARGE_TEXT_COST: usize = 50;

/// The complexity weight of each actor in an "all of these actors" filter.
pub const ALL_OF_ACTOR_COST: usize = 200;

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
    #[error("list and object values nest deeper than the limit of {limit} levels")]
    ValuesTooDeep { limit: usize, path: Option<String> },
    #[error("fragment `{0}` spreads itself")]
    FragmentCycle(String),
}

impl CostRejection {
    /// The `extensions.code` of the rejection.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::TooLarge { .. } => ErrorCode::QueryTooLarge,
            Self::TooManyFields { .. } => ErrorCode::QueryTooComplex,
            Self::TooManyAliases { .. } => ErrorCode::TooManyAliases,
            Self::TooDeep { .. } => ErrorCode::QueryTooDeep,
            Self::TooManyDirectives { .. } => ErrorCode::TooManyDirectives,
            Self::TooManyTokens { .. } => ErrorCode::TooManyTokens,
            Self::ValuesTooDeep { .. } => ErrorCode::ValueTooDeep,
            Self::FragmentCycle(_) => ErrorCode::BadUserInput,
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
    let shape = lexical_shape(query, limits.max_tokens, limits.max_value_depth);
    if shape.value_depth > limits.max_value_depth {
        return Err(CostRejection::ValuesTooDeep { limit: limits.max_value_depth, path: None });
    }
    if shape.tokens > limits.max_tokens {
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

/// `check` and `check_variables` of one request: its text, then its variables.
pub fn check_request(request: &async_graphql::Request, limits: CostLimits) -> Result<(), CostRejection> {
    check(&request.query, limits).and_then(|()| check_variables(&request.variables, limits))
}

/// Checks that no variable nests lists and objects deeper than `limits.max_value_depth`,
/// naming the first one that does. Iterative: a variable is data the client chose.
pub fn check_variables(variables: &async_graphql::Variables, limits: CostLimits) -> Result<(), CostRejection> {
    use async_graphql::Value;
    for (name, value) in variables.iter() {
        let mut pending: Vec<(&Value, usize)> = vec![(value, 0)];
        while let Some((value, depth)) = pending.pop() {
            let children: Box<dyn Iterator<Item = &Value>> = match value {
                Value::List(items) => Box::new(items.iter()),
                Value::Object(fields) => Box::new(fields.values()),
                _ => continue,
            };
            if depth + 1 > limits.max_value_depth {
                return Err(CostRejection::ValuesTooDeep {
                    limit: limits.max_value_depth,
                    path: Some(format!("${name}")),
                });
            }
            pending.extend(children.map(|child| (child, depth + 1)));
        }
    }
    Ok(())
}

/// The deepest nesting of arrays and objects in a JSON text, found without parsing it (strings
/// skipped whole), so that a request body nested beyond any use is refused before a recursive
/// parser sees it.
pub fn json_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest, mut at) = (0usize, 0usize, 0);
    while at < bytes.len() {
        match bytes[at] {
            b'"' => {
                at += 1;
                while at < bytes.len() && bytes[at] != b'"' {
                    at += if bytes[at] == b'\\' { 2 } else { 1 };
                }
            }
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        at += 1;
    }
    deepest
}

/// What one pass of the lexer found: the number of lexical tokens (stopping once past the
/// limit) and the deepest nesting of list and object values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LexicalShape {
    tokens: usize,
    value_depth: usize,
}

/// Counts `query`'s tokens exactly as the GraphQL lexer does (October 2021 spec, §2.1) and
/// measures how deeply its values nest, in one iterative pass, so the parser (which recurses
/// once per nested value) never sees a document that could exhaust a worker's stack. Stops as
/// soon as either limit is passed.
///
/// Values only occur inside parentheses (arguments, variable definitions with their types and
/// defaults, directive arguments), so a `[` or `{` opened while a `(` is open is a value level;
/// a `{` outside parentheses is a selection set, whose depth the parser and the walker bound.
fn lexical_shape(query: &str, max_tokens: usize, max_value_depth: usize) -> LexicalShape {
    #[derive(Clone, Copy, PartialEq)]
    enum Open {
        Paren,
        Selection,
        Value,
    }
    let bytes = query.as_bytes();
    let mut open: Vec<Open> = Vec::new();
    let (mut parens, mut values) = (0usize, 0usize);
    let mut shape = LexicalShape { tokens: 0, value_depth: 0 };
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        match byte {
            // Ignored tokens: white space, line terminators, commas, the byte order mark.
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                at += 1;
                continue;
            }
            0xEF if bytes[at..].starts_with(&[0xEF, 0xBB, 0xBF]) => {
                at += 3;
                continue;
            }
            // A comment runs to the next line terminator, which is `\n`, `\r` or `\r\n`.
            b'#' => {
                at = bytes[at..].iter().position(|b| matches!(b, b'\n' | b'\r')).map_or(bytes.len(), |end| at + end);
                continue;
            }
            b'"' if bytes[at..].starts_with(b"\"\"\"") => {
                let body = at + 3;
                at = find_block_string_end(&bytes[body..]).map_or(bytes.len(), |end| body + end + 3);
            }
            b'"' => {
                at += 1;
                while at < bytes.len() && !matches!(bytes[at], b'"' | b'\n' | b'\r') {
                    at += if bytes[at] == b'\\' { 2 } else { 1 };
                }
                at += 1;
            }
            b'.' if bytes[at..].starts_with(b"...") => at += 3,
            b'_' | b'A'..=b'Z' | b'a'..=b'z' => {
                at += 1;
                while at < bytes.len() && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'_') {
                    at += 1;
                }
            }
            b'-' | b'0'..=b'9' => at = number_end(bytes, at),
            b'(' => {
                open.push(Open::Paren);
                parens += 1;
                at += 1;
            }
            b'[' | b'{' => {
                let kind = if parens > 0 { Open::Value } else { Open::Selection };
                if kind == Open::Value {
                    values += 1;
                    shape.value_depth = shape.value_depth.max(values);
                    if values > max_value_depth {
                        return shape;
                    }
                }
                open.push(kind);
                at += 1;
            }
            b')' | b']' | b'}' => {
                match open.pop() {
                    Some(Open::Paren) => parens -= 1,
                    Some(Open::Value) => values -= 1,
                    Some(Open::Selection) | None => {}
                }
                at += 1;
            }
            // Punctuators and anything the lexer would refuse: one token each.
            _ => at += utf8_width(byte),
        }
        shape.tokens += 1;
        if shape.tokens > max_tokens {
            return shape;
        }
    }
    shape
}

/// Where the number starting at `start` ends: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
/// A lone `-` is one (invalid) token.
fn number_end(bytes: &[u8], start: usize) -> usize {
    let digits = |mut at: usize| {
        while at < bytes.len() && bytes[at].is_ascii_digit() {
            at += 1;
        }
        at
    };
    let mut at = start + usize::from(bytes[start] == b'-');
    at = digits(at);
    if at + 1 < bytes.len() && bytes[at] == b'.' && bytes[at + 1].is_ascii_digit() {
        at = digits(at + 1);
    }
    if at < bytes.len() && matches!(bytes[at], b'e' | b'E') {
        let sign = at + 1 + usize::from(at + 1 < bytes.len() && matches!(bytes[at + 1], b'+' | b'-'));
        if sign < bytes.len() && bytes[sign].is_ascii_digit() {
            at = digits(sign);
        }
    }
    at.max(start + 1)
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

/// The length of the UTF-8 sequence a lead byte starts (1 for a stray continuation byte).
fn utf8_width(lead: u8) -> usize {
    match lead {
        0xF0..=0xF7 => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
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
        assert_eq!(rejection.code().as_str(), "TOO_MANY_TOKENS");
        let many_values = format!("{{ factKinds(x: [{}]) {{ key }} }}", "1 ".repeat(5_000));
        assert_eq!(check(&many_values, CostLimits::default()).unwrap_err().code().as_str(), "TOO_MANY_TOKENS");
        let tokens = |query: &str| lexical_shape(query, usize::MAX, usize::MAX).tokens;
        assert_eq!((tokens("..."), tokens("-1.5e+3"), tokens("a...F")), (1, 1, 3));
    }

    #[test]
    fn aliases_of_typename_count() {
        let aliases: String = (0..60).map(|i| format!("a{i}: __typename ")).collect();
        let rejection = check(&format!("{{ {aliases} }}"), CostLimits::default()).unwrap_err();
        assert_eq!(rejection.code().as_str(), "TOO_MANY_ALIASES");
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
        assert_eq!(check(cycle, CostLimits::default()).unwrap_err().code().as_str(), "BAD_USER_INPUT");
        let piled = "{ factKinds @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) { key } }";
        assert_eq!(check(piled, CostLimits::default()).unwrap_err().code().as_str(), "TOO_MANY_DIRECTIVES");
    }

    #[test]
    fn a_comment_ends_at_a_carriage_return_too() {
        let hidden = format!("#\r{{ nodes(ids: [{}]) {{ id }} }}", "1 ".repeat(6_000));
        assert_eq!(check(&hidden, CostLimits::default()).unwrap_err().code().as_str(), "TOO_MANY_TOKENS");
        assert_eq!(lexical_shape("# a\r{ a }", usize::MAX, usize::MAX).tokens, 3);
        assert_eq!(lexical_shape("# a\r\n{ a }", usize::MAX, usize::MAX).tokens, 3);
    }

    #[test]
    fn values_nested_past_the_limit_are_refused_before_parsing() {
        for (open, close) in [("[", "]"), ("{a:", "}"), ("[{a:", "}]")] {
            for levels in [33, 100, 10_000, 100_000] {
                let value = format!("{}1{}", open.repeat(levels), close.repeat(levels));
                let query = format!("{{ factKinds(category: {value}) {{ key }} }}");
                let limits = CostLimits { max_bytes: usize::MAX, max_tokens: usize::MAX, ..CostLimits::default() };
                let rejection = check(&query, limits).unwrap_err();
                assert_eq!(rejection.code().as_str(), "VALUE_TOO_DEEP", "{open} × {levels}");
            }
        }
        // Types of variables nest inside parentheses too, and so do directive arguments.
        let deep_type = format!("query($v: {}Int{}) {{ __typename }}", "[".repeat(40), "]".repeat(40));
        assert_eq!(check(&deep_type, CostLimits::default()).unwrap_err().code().as_str(), "VALUE_TOO_DEEP");
        let within = format!("{{ factKinds(category: {}\"x\"{}) {{ key }} }}", "[".repeat(32), "]".repeat(32));
        assert!(check(&within, CostLimits::default()).is_ok());
        // Selection sets are not values: sixteen levels of them pass the value limit.
        assert_eq!(lexical_shape("{ a { b { c } } }", usize::MAX, usize::MAX).value_depth, 0);
    }

    #[test]
    fn variables_nested_past_the_limit_are_refused_and_named() {
        let mut value = serde_json::json!(1);
        for _ in 0..40 {
            value = serde_json::json!([{ "a": value }]);
        }
        let variables = async_graphql::Variables::from_json(serde_json::json!({ "ok": [1], "deep": value }));
        let rejection = check_variables(&variables, CostLimits::default()).unwrap_err();
        assert_eq!(rejection, CostRejection::ValuesTooDeep { limit: 32, path: Some("$deep".into()) });
        let shallow = async_graphql::Variables::from_json(serde_json::json!({ "v": [[[{ "a": [1] }]]] }));
        assert!(check_variables(&shallow, CostLimits::default()).is_ok());
        assert_eq!(json_depth(br#"{"query": "[[[[", "variables": {"v": [[1]]}}"#), 4);
    }

    mod lexer_agrees_with_the_parser {
        use proptest::prelude::*;

        use super::super::lexical_shape;

        /// A value as its tokens, with how deeply its lists and objects nest.
        fn value() -> impl Strategy<Value = (Vec<String>, usize)> {
            let leaf = prop_oneof![
                "[A-Z_][A-Za-z0-9_]{0,6}",
                "-?(0|[1-9][0-9]{0,5})",
                "-?(0|[1-9][0-9]{0,3})\\.[0-9]{1,3}([eE][+-]?[0-9]{1,2})?",
                "-?[1-9][0-9]{0,2}[eE][+-]?[0-9]{1,2}",
                "\"([a-z #,{}()\\[\\]éш]|\\\\n|\\\\\"|\\\\u00e9)*\"",
                "\"\"\"([a-z #,{}\\n\\rш]|\\\\\"\"\")*\"\"\"",
            ]
            .prop_map(|token| (vec![token], 0))
            .boxed();
            let variable = Just((vec!["$v".to_owned()], 0)).boxed();
            prop_oneof![4 => leaf, 1 => variable].prop_recursive(6, 48, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(|items| {
                        let depth = 1 + items.iter().map(|(_, d)| *d).max().unwrap_or(0);
                        let mut tokens = vec!["[".to_owned()];
                        tokens.extend(items.into_iter().flat_map(|(t, _)| t));
                        tokens.push("]".to_owned());
                        (tokens, depth)
                    }),
                    prop::collection::vec(("[a-z][a-z0-9]{0,4}", inner), 0..4).prop_map(|fields| {
                        let depth = 1 + fields.iter().map(|(_, (_, d))| *d).max().unwrap_or(0);
                        let mut tokens = vec!["{".to_owned()];
                        for (index, (name, (value, _))) in fields.into_iter().enumerate() {
                            tokens.extend([format!("{name}{index}"), ":".to_owned()]);
                            tokens.extend(value);
                        }
                        tokens.push("}".to_owned());
                        (tokens, depth)
                    }),
                ]
            })
        }

        /// Ignored tokens: at least one between any two tokens, so none merge.
        fn separator() -> impl Strategy<Value = String> {
            prop::collection::vec(
                prop_oneof![
                    Just(" ".to_owned()),
                    Just("\t".to_owned()),
                    Just(",".to_owned()),
                    Just("\n".to_owned()),
                    Just("\r".to_owned()),
                    Just("\r\n".to_owned()),
                    " #[a-z {}(\\[]{0,8}\n",
                    " #[a-z {}(\\[]{0,8}\r",
                ],
                1..3,
            )
            .prop_map(|parts| parts.concat())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]
            #[test]
            fn tokens_and_value_depth_match_the_generated_document(
                (argument, depth) in value(),
                separators in prop::collection::vec(separator(), 200),
            ) {
                let mut tokens: Vec<String> = "query Q ( $v : [Int] = [ 1 ] ) @include ( if : true ) { alias : field ( arg :"
                    .split(' ')
                    .map(str::to_owned)
                    .collect();
                tokens.extend(argument);
                tokens.extend(") { sub ... on_T { x } ...F } } fragment F on_T { y }".split(' ').map(|t| t.replace('_', " ")));
                let mut document = String::new();
                for (index, token) in tokens.iter().enumerate() {
                    document.push_str(token);
                    document.push_str(&separators[index % separators.len()]);
                }
                prop_assert!(async_graphql::parser::parse_query(&document).is_ok(), "the parser accepts {document:?}");
                let shape = lexical_shape(&document, usize::MAX, usize::MAX);
                // async-graphql's grammar takes `$v`, `@include`, `[Int]`, `...F` and `on T` whole, while the
                // spec's lexer sees punctuators and names in them, as the counter does.
                let expected: usize = tokens
                    .iter()
                    .map(|t| match t.as_str() {
                        "[Int]" => 3,
                        "...F" | "on T" => 2,
                        t if t.len() > 1 && (t.starts_with('$') || t.starts_with('@')) => 2,
                        _ => 1,
                    })
                    .sum();
                prop_assert_eq!(shape.tokens, expected, "{:?}", document);
                prop_assert_eq!(shape.value_depth, depth.max(1), "{:?}", document);
            }
        }
    }
}

#[cfg(test)]
mod selection_nesting {
    #[test]
    fn deeply_nested_selections_are_refused_by_the_parser_without_overflowing() {
        for levels in [1_000, 100_000] {
            let query = format!("{}{}", "{ a ".repeat(levels), "}".repeat(levels));
            let limits = super::CostLimits { max_bytes: usize::MAX, max_tokens: usize::MAX, ..Default::default() };
            // Whatever the verdict, it is reached without exhausting the stack.
            let _ = super::check(&query, limits);
        }
    }
}
