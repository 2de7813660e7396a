//! The request's guards as one async-graphql extension: the NUL, missing-variable and
//! out-of-range-Int refusals after parsing, the complexity and depth limits after validation,
//! the response budget around execution and every field, and the answer's fields put in the
//! query's order after execution. One extension, because async-graphql wraps every field's
//! resolution in a boxed future per installed extension, whether or not it has a `resolve`
//! hook: three extensions were three layers around each of the hundreds of fields of a page.
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextPrepareRequest, NextResolve,
    NextValidation, ResolveInfo,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, Response, ServerError, ServerResult, ValidationResult, Value, Variables};

use super::int_range::refuse_out_of_range_ints;
use super::limits::ComplexityAndDepth;
use super::nul_guard::refuse_nul;
use super::required_variables::refuse_missing_variables;
use super::response_budget::RequestBudget;
use super::response_order::order_answer;

/// The schema extension; `build_schema_with` installs it with the configured limits.
pub struct RequestGuards {
    pub limits: ComplexityAndDepth,
    pub max_response_bytes: usize,
}

impl ExtensionFactory for RequestGuards {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Guards {
            limits: self.limits,
            budget: RequestBudget::new(self.max_response_bytes),
            document: std::sync::OnceLock::new(),
            operation_name: std::sync::OnceLock::new(),
        })
    }
}

/// Put in a request's data by the HTTP layer to learn whether execution began: when it did not,
/// the request's errors are request errors (the document did not parse or validate, or its
/// variables did not coerce), which GraphQL over HTTP answers differently from field errors.
/// It also learns whether what ran was a mutation, after which subscribers must look for news.
#[derive(Clone, Default)]
pub struct ExecutionStarted(Arc<std::sync::atomic::AtomicU8>);

const NOT_STARTED: u8 = 0;
const STARTED: u8 = 1;
const STARTED_MUTATION: u8 = 2;

impl ExecutionStarted {
    pub fn get(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed) != NOT_STARTED
    }

    /// Whether the operation that ran was a mutation.
    pub fn mutation(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed) == STARTED_MUTATION
    }
}

/// One request's guards (async-graphql creates the extension anew for every request).
struct Guards {
    limits: ComplexityAndDepth,
    budget: RequestBudget,
    /// The parsed document and its variables, to order the answer by.
    document: std::sync::OnceLock<(ExecutableDocument, Variables)>,
    /// The operation the request names, to check the variables of.
    operation_name: std::sync::OnceLock<Option<String>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for Guards {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let _ = self.operation_name.set(request.operation_name.clone());
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        refuse_nul(&document, variables)?;
        let operation_name = self.operation_name.get().and_then(Option::as_deref);
        refuse_missing_variables(&document, operation_name, variables)?;
        refuse_out_of_range_ints(&document, operation_name, variables, &ctx.schema_env.registry)?;
        let _ = self.document.set((document.clone(), variables.clone()));
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let measured = next.run(ctx).await?;
        self.limits.check(&measured).map_err(|refusal| vec![refusal])?;
        Ok(measured)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        if let Some(started) = ctx.data_opt::<ExecutionStarted>() {
            let mutation = self.document.get().is_some_and(|(document, _)| {
                super::operation::selected_operation(document, operation_name)
                    .is_some_and(|operation| operation.node.ty == async_graphql::parser::types::OperationType::Mutation)
            });
            started.0.store(if mutation { STARTED_MUTATION } else { STARTED }, std::sync::atomic::Ordering::Relaxed);
        }
        let mut response = next.run(ctx, operation_name).await;
        if let Some((document, variables)) = self.document.get() {
            order_answer(&mut response.data, document, operation_name, variables, &ctx.schema_env.registry);
        }
        self.budget.finish(response)
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        self.budget.before_field()?;
        let value = next.run(ctx, info).await?;
        if let Some(value) = &value {
            self.budget.charge(value)?;
        }
        Ok(value)
    }
}
