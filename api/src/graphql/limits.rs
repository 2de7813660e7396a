//! The complexity and depth limits, checked on what async-graphql's validation measured. They
//! are an extension rather than the schema builder's `limit_complexity`/`limit_depth` so that a
//! refusal carries its own code, instead of a code guessed from the library's message.
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::{ServerError, ValidationResult};

use super::error::over_limit;
use crate::error_code::ErrorCode;

/// The schema extension; `build_schema_with` installs it.
#[derive(Debug, Clone, Copy)]
pub struct ComplexityAndDepth {
    pub max_complexity: usize,
    pub max_depth: usize,
}

impl ExtensionFactory for ComplexityAndDepth {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ComplexityAndDepth {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let measured = next.run(ctx).await?;
        if measured.complexity > self.max_complexity {
            return Err(vec![over_limit(ErrorCode::QueryTooComplex, "Query is too complex.")]);
        }
        if measured.depth > self.max_depth {
            return Err(vec![over_limit(ErrorCode::QueryTooDeep, "Query is nested too deep.")]);
        }
        Ok(measured)
    }
}
