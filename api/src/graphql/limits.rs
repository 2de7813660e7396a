//! The complexity and depth limits, checked on what async-graphql's validation measured. They
//! are checked by our own extension (`guards`) rather than the schema builder's `limit_complexity`/`limit_depth` so that a
//! refusal carries its own code, instead of a code guessed from the library's message.
use async_graphql::{ServerError, ValidationResult};

use super::error::over_limit;
use crate::error_code::ErrorCode;

/// The configured limits; `guards::Guards` checks them after validation.
#[derive(Debug, Clone, Copy)]
pub struct ComplexityAndDepth {
    pub max_complexity: usize,
    pub max_depth: usize,
}

impl ComplexityAndDepth {
    /// Refuses a document whose measured complexity or depth is over its limit.
    pub fn check(&self, measured: &ValidationResult) -> Result<(), ServerError> {
        if measured.complexity > self.max_complexity {
            return Err(over_limit(ErrorCode::QueryTooComplex, "Query is too complex."));
        }
        if measured.depth > self.max_depth {
            return Err(over_limit(ErrorCode::QueryTooDeep, "Query is nested too deep."));
        }
        Ok(())
    }
}
