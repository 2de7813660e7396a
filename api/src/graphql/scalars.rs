//! Scalars of the API's own, where the library's would describe Rust rather than the value.
use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::NaiveDate;

/// A calendar date: what the `NaiveDate` scalar carries. The library's own `NaiveDate` has no
/// `@specifiedBy`; this one names RFC 3339's `full-date` (the ISO 8601 extended calendar date).
/// The scalar keeps its name, which clients' operations already declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CalendarDate(pub NaiveDate);

/// A calendar date without a time or a time zone, as ISO 8601's extended calendar date `YYYY-MM-DD` (RFC 3339 `full-date`), e.g. `2025-02-12`.
#[Scalar(name = "NaiveDate", specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6")]
impl ScalarType for CalendarDate {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => Ok(Self(NaiveDate::parse_from_str(text, "%Y-%m-%d")?)),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

impl From<NaiveDate> for CalendarDate {
    fn from(date: NaiveDate) -> Self {
        Self(date)
    }
}
