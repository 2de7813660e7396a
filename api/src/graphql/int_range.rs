//! Refuses, before execution, an `Int` outside GraphQL's 32-bit range, written in the document or
//! passed as a variable.
//!
//! async-graphql's validation accepts any integer where an `Int` is expected and leaves the
//! range to the resolver that reads the argument. A resolver that never runs (a field under an
//! empty list) never refuses it, so `{ facts(first: 0) { … quoteInContext(chars: 9267468862718) … } }`
//! was answered as if it were valid. The specification makes it a validation error wherever it
//! stands; schemathesis found the difference. Checked once the document is parsed, with the
//! schema's types: BAD_USER_INPUT naming the argument or variable, and nothing runs.
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::registry::{MetaType, MetaTypeName, Registry};
use async_graphql::{ServerResult, Value, Variables};

use super::error::ApiError;
use super::operation::selected_operation;
use crate::domain::Violations;

const MESSAGE: &str = "must be an Int from -2147483648 to 2147483647";

/// Refuses the request when an `Int` argument, input field or variable of the operation that
/// runs is out of range.
pub fn refuse_out_of_range_ints(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
    registry: &Registry,
) -> ServerResult<()> {
    let Some(operation) = selected_operation(document, operation_name) else { return Ok(()) };
    let mut checker = Checker { document, registry, violations: Violations::new(), fragments_seen: Vec::new() };
    for definition in &operation.node.variable_definitions {
        let name = &definition.node.name.node;
        if let Some(value) = variables.get(name) {
            checker.value(value, &definition.node.var_type.node.to_string(), &format!("${name}"));
        }
    }
    if let Some(root) = super::operation::root_type(registry, operation.node.ty) {
        checker.selection_set(&operation.node.selection_set.node, root);
    }
    checker.violations.into_result().map_err(|refusal| ApiError::from(refusal).into())
}

struct Checker<'a> {
    document: &'a ExecutableDocument,
    registry: &'a Registry,
    violations: Violations,
    /// Fragments already walked (each is checked once, and validation refuses cycles anyway).
    fragments_seen: Vec<&'a str>,
}

impl<'a> Checker<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet, parent: &str) {
        let registry = self.registry;
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let Some(meta) = registry.types.get(parent).and_then(|meta| meta.field_by_name(&field.name.node))
                    else {
                        continue;
                    };
                    for (name, value) in &field.arguments {
                        let Some(argument) = meta.args.get(name.node.as_str()) else { continue };
                        // Variables in a literal are checked as variables.
                        let Ok(value) = value.node.clone().into_const_with(|_| Err::<Value, ()>(())) else { continue };
                        self.value(&value, &argument.ty, name.node.as_str());
                    }
                    let child = MetaTypeName::concrete_typename(&meta.ty).to_owned();
                    self.selection_set(&field.selection_set.node, &child);
                }
                Selection::InlineFragment(inline) => {
                    let on = inline.node.type_condition.as_ref().map(|condition| condition.node.on.node.to_string());
                    self.selection_set(&inline.node.selection_set.node, on.as_deref().unwrap_or(parent));
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    if self.fragments_seen.contains(&name) {
                        continue;
                    }
                    self.fragments_seen.push(name);
                    if let Some(fragment) = self.document.fragments.get(&spread.node.fragment_name.node) {
                        let on = fragment.node.type_condition.node.on.node.to_string();
                        self.selection_set(&fragment.node.selection_set.node, &on);
                    }
                }
            }
        }
    }

    /// Checks `value`, given where a `ty` (`Int`, `[Int!]!`, an input object…) is expected.
    fn value(&mut self, value: &Value, ty: &str, path: &str) {
        match MetaTypeName::create(ty) {
            MetaTypeName::NonNull(inner) => self.value(value, inner, path),
            MetaTypeName::List(inner) => match value {
                Value::List(items) => {
                    for (index, item) in items.iter().enumerate() {
                        self.value(item, inner, &format!("{path}[{index}]"));
                    }
                }
                single => self.value(single, inner, path),
            },
            MetaTypeName::Named(name) => match (self.registry.types.get(name), value) {
                (Some(MetaType::Scalar { name, .. }), Value::Number(number))
                    if name == "Int" && number.as_i64().is_none_or(|n| i32::try_from(n).is_err()) =>
                {
                    self.violations.add(path.to_owned(), MESSAGE);
                }
                (Some(MetaType::InputObject { input_fields, .. }), Value::Object(fields)) => {
                    for (field, field_value) in fields {
                        if let Some(meta) = input_fields.get(field.as_str()) {
                            self.value(field_value, &meta.ty, &format!("{path}.{field}"));
                        }
                    }
                }
                _ => {}
            },
        }
    }
}
