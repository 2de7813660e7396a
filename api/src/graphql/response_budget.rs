//! Bounds the size of an answer while it is being built. The complexity limit bounds how many
//! fields a query may select, but not how large each is: a source's snapshot may hold half a
//! million characters, and a page of facts can cite the same one hundreds of times. Every text
//! a field resolves to is charged against a per-request budget; once it is spent, nothing more
//! is resolved and the whole answer is replaced by one `RESPONSE_TOO_LARGE` error, so the
//! partial data is released at once instead of being serialized.
use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::{Response, ServerError, ServerResult, Value};

/// One request's budget (`guards::Guards` holds one per request).
pub struct RequestBudget {
    limit: usize,
    used: AtomicUsize,
}

impl RequestBudget {
    pub fn new(limit: usize) -> Self {
        RequestBudget { limit, used: AtomicUsize::new(0) }
    }

    fn spent(&self) -> bool {
        self.used.load(Ordering::Relaxed) > self.limit
    }

    fn refusal(&self) -> ServerError {
        super::error::response_too_large(self.limit).into()
    }

    /// Before a field resolves: refused once the budget is spent.
    pub fn before_field(&self) -> ServerResult<()> {
        if self.spent() {
            return Err(self.refusal());
        }
        Ok(())
    }

    /// Charges a field's resolved value.
    pub fn charge(&self, value: &Value) -> ServerResult<()> {
        let size = own_size(value);
        if self.used.fetch_add(size, Ordering::Relaxed).saturating_add(size) > self.limit {
            return Err(self.refusal());
        }
        Ok(())
    }

    /// The finished answer, or one `RESPONSE_TOO_LARGE` error in its place.
    pub fn finish(&self, response: Response) -> Response {
        if self.spent() {
            drop(response);
            return Response::from_errors(vec![self.refusal()]);
        }
        response
    }
}

/// The bytes a resolved value adds beyond its children (which were charged as they resolved):
/// its text, or the texts of a list of scalars, and a little for the key and punctuation.
fn own_size(value: &Value) -> usize {
    const OVERHEAD: usize = 8;
    match value {
        Value::String(text) => text.len() + OVERHEAD,
        Value::List(items) => items
            .iter()
            .map(|item| match item {
                Value::String(text) => text.len() + OVERHEAD,
                _ => OVERHEAD,
            })
            .sum::<usize>()
            .saturating_add(OVERHEAD),
        _ => OVERHEAD,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_charged_by_their_length_and_objects_by_their_children() {
        assert_eq!(own_size(&Value::from("x".repeat(1000))), 1008);
        assert_eq!(own_size(&Value::List(vec![Value::from("ab"), Value::from("cd")])), 10 + 10 + 8);
        assert_eq!(own_size(&Value::Object(Default::default())), 8);
    }
}
