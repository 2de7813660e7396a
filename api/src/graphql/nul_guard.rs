//! Refuses, before execution, every request that carries the NUL character (U+0000) in a string
//! value: an argument literal, a variable's default or a variable. Postgres cannot store or even
//! compare text containing it (every statement it reaches fails: INTERNAL), and SQLite's
//! `length()` stops at it, so a name that starts with it breaks the length CHECKs that the
//! domain's character count passed. No text of this API has a use for it.
use async_graphql::parser::types::{
    Directive, ExecutableDocument, FragmentDefinition, OperationDefinition, Selection, SelectionSet,
};
use async_graphql::{Positioned, ServerError, ServerResult, Value, Variables};

use super::error::ApiError;
use crate::domain::{DomainError, Violations};

const MESSAGE: &str = "must not contain the NUL character (U+0000)";

/// Refuses a parsed request that carries NUL in any string value (`guards::Guards` calls it
/// once the document is parsed).
pub fn refuse_nul(document: &ExecutableDocument, variables: &Variables) -> ServerResult<()> {
    let mut found = Vec::new();
    for (name, value) in variables.iter() {
        value_paths(value, &format!("${name}"), &mut found);
    }
    document_paths(document, &mut found);
    if found.is_empty() {
        return Ok(());
    }
    found.dedup();
    Err(refusal(&found))
}

/// One BAD_USER_INPUT error naming every offending value, through the same mapping as the
/// domain's refusals.
fn refusal(paths: &[String]) -> ServerError {
    let mut violations = Violations::new();
    for path in paths {
        violations.add(path.clone(), MESSAGE);
    }
    ApiError::from(DomainError::InvalidInput(violations.into_violations())).into()
}

/// An argument literal with its variables as null (the variables' values are checked on their
/// own). A macro, because async-graphql does not export the type of literals.
macro_rules! without_variables {
    ($literal:expr) => {
        $literal.clone().into_const_with(|_| Ok::<_, ()>(Value::Null)).unwrap_or(Value::Null)
    };
}

/// The paths of the string values holding NUL in argument literals and variable defaults.
fn document_paths(document: &ExecutableDocument, found: &mut Vec<String>) {
    for (_, operation) in document.operations.iter() {
        operation_paths(&operation.node, found);
    }
    for fragment in document.fragments.values() {
        fragment_paths(&fragment.node, found);
    }
}

fn operation_paths(operation: &OperationDefinition, found: &mut Vec<String>) {
    for variable in &operation.variable_definitions {
        let path = format!("${}", variable.node.name.node);
        if let Some(default) = &variable.node.default_value {
            value_paths(&default.node, &path, found);
        }
        directives(&variable.node.directives, found);
    }
    directives(&operation.directives, found);
    selection_set(&operation.selection_set.node, found);
}

fn fragment_paths(fragment: &FragmentDefinition, found: &mut Vec<String>) {
    directives(&fragment.directives, found);
    selection_set(&fragment.selection_set.node, found);
}

fn selection_set(set: &SelectionSet, found: &mut Vec<String>) {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => {
                for (name, value) in &field.node.arguments {
                    value_paths(&without_variables!(value.node), &name.node, found);
                }
                directives(&field.node.directives, found);
                selection_set(&field.node.selection_set.node, found);
            }
            Selection::FragmentSpread(spread) => directives(&spread.node.directives, found),
            Selection::InlineFragment(fragment) => {
                directives(&fragment.node.directives, found);
                selection_set(&fragment.node.selection_set.node, found);
            }
        }
    }
}

fn directives(list: &[Positioned<Directive>], found: &mut Vec<String>) {
    for directive in list {
        for (name, value) in &directive.node.arguments {
            let path = format!("@{}.{}", directive.node.name.node, name.node);
            value_paths(&without_variables!(value.node), &path, found);
        }
    }
}

/// Pushes the path of every string in `value` that holds NUL.
fn value_paths(value: &Value, path: &str, found: &mut Vec<String>) {
    match value {
        Value::String(text) if text.contains('\0') => found.push(path.to_owned()),
        Value::List(items) => {
            for (index, item) in items.iter().enumerate() {
                value_paths(item, &format!("{path}[{index}]"), found);
            }
        }
        Value::Object(fields) => {
            for (name, item) in fields {
                value_paths(item, &format!("{path}.{name}"), found);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths_in(query: &str) -> Vec<String> {
        let document = async_graphql::parser::parse_query(query).unwrap();
        let mut found = Vec::new();
        document_paths(&document, &mut found);
        found
    }

    #[test]
    fn finds_nul_in_nested_literals_defaults_and_fragments() {
        let query = r#"
            query Q($s: String = "a\u0000") {
              actors(filter: { search: "ok" }) { nodes { id } }
              ...F
            }
            fragment F on Query { actor(id: "x\u0000") { aliases } }
            mutation M { createActor(input: { name: "n", kind: PERSON, aliases: ["fine", "\u0000x"] }) { id } }
        "#;
        let mut found = paths_in(query);
        found.sort();
        assert_eq!(found, ["$s", "id", "input.aliases[1]"]);
        assert!(paths_in(r#"{ actors(filter: { search: "plain text" }) { nodes { id } } }"#).is_empty());
    }

    #[test]
    fn finds_nul_in_variables() {
        let mut found = Vec::new();
        let value = Value::from_json(serde_json::json!({ "name": "n", "aliases": ["ok", "a\u{0}b"] })).unwrap();
        value_paths(&value, "$input", &mut found);
        assert_eq!(found, ["$input.aliases[1]"]);
    }
}
