//! Refuses, before execution, an operation run without a value for one of its required
//! variables (`$id: ID!` with no default, absent or null in `variables`).
//!
//! The specification makes this a request error (CoerceVariableValues). async-graphql checks
//! it only when a resolver reads the argument, as a field error inside a 200 answer with `data`
//! — and not at all for a field that is never reached. Checked once the document is parsed,
//! it is refused like every other input of the request: BAD_USER_INPUT naming the variable, and
//! nothing runs.
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{ServerResult, Value, Variables};

use super::error::ApiError;
use super::operation::selected_operation;
use crate::domain::Violations;

/// Refuses the request when the operation it runs lacks a required variable. An operation name
/// that names no operation (or a document of several without one) is left to the executor,
/// which refuses it in its own words.
pub fn refuse_missing_variables(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
) -> ServerResult<()> {
    let Some(operation) = selected_operation(document, operation_name) else { return Ok(()) };
    let mut violations = Violations::new();
    for definition in &operation.node.variable_definitions {
        let definition = &definition.node;
        // Absent: the default stands in, if there is one. Null: null, default or not.
        let missing = match variables.get(&definition.name.node) {
            None => definition.default_value.is_none(),
            Some(value) => matches!(value, Value::Null),
        };
        if missing && !definition.var_type.node.nullable {
            violations.add(
                format!("${}", definition.name.node),
                format!("is of the required type {} and was given no value", definition.var_type.node),
            );
        }
    }
    violations.into_result().map_err(|refusal| ApiError::from(refusal).into())
}
