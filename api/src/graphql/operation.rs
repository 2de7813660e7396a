//! The operation a request runs, as the executor chooses it.
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationDefinition, OperationType};
use async_graphql::Positioned;

/// The operation of `document` that runs for `operation_name`: the one named; without a name,
/// the document's only operation, named or not (a named operation alone in its document is
/// stored among "many"). None when the name names none, or when several need a name.
pub fn selected_operation<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'a Positioned<OperationDefinition>> {
    match (&document.operations, operation_name) {
        (DocumentOperations::Single(operation), _) => Some(operation),
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => operations.values().next(),
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// The root type an operation of type `ty` starts from, if the schema has one.
pub fn root_type(registry: &async_graphql::registry::Registry, ty: OperationType) -> Option<&str> {
    match ty {
        OperationType::Query => Some(registry.query_type.as_str()),
        OperationType::Mutation => registry.mutation_type.as_deref(),
        OperationType::Subscription => registry.subscription_type.as_deref(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;
    use async_graphql::parser::types::OperationType;

    fn kind(document: &str, name: Option<&str>) -> Option<OperationType> {
        let document = parse_query(document).unwrap();
        selected_operation(&document, name).map(|operation| operation.node.ty)
    }

    #[test]
    fn a_named_operation_alone_in_its_document_runs_without_its_name() {
        assert_eq!(kind("mutation M { a }", None), Some(OperationType::Mutation));
        assert_eq!(kind("{ a }", None), Some(OperationType::Query));
        assert_eq!(kind("query Q { a } mutation M { a }", Some("M")), Some(OperationType::Mutation));
        assert_eq!(kind("query Q { a } mutation M { a }", None), None);
        assert_eq!(kind("query Q { a }", Some("X")), None);
    }
}
