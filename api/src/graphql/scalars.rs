//! Scalars of the API's own, where the library's would describe Rust rather than the value.
use std::borrow::Cow;

use async_graphql::{registry, InputType, InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, DurationRound, NaiveDate, TimeDelta, Utc};

use super::error::field;
use crate::error_code::ErrorCode;

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

/// The `asOf` argument: a `DateTime` (the same scalar), whose faults are reported as every other
/// bad argument's are, with the code and the argument's name; the library's own parse error has
/// neither. The moment is kept to the microsecond, the log's resolution: a finer one cannot
/// tell two entries apart that the microsecond does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsOfArgument(pub DateTime<Utc>);

impl InputType for AsOfArgument {
    type RawValueType = DateTime<Utc>;

    fn type_name() -> Cow<'static, str> {
        <DateTime<Utc> as InputType>::type_name()
    }

    fn create_type_info(registry: &mut registry::Registry) -> String {
        <DateTime<Utc> as InputType>::create_type_info(registry)
    }

    fn parse(value: Option<Value>) -> InputValueResult<Self> {
        let at = <DateTime<Utc> as InputType>::parse(value).map_err(|_| {
            let message = "must be an RFC 3339 date and time with a time zone offset, e.g. 2025-02-12T14:30:00Z";
            InputValueError::custom(format!("asOf: {message}"))
                .with_extension("code", ErrorCode::BadUserInput.as_str())
                .with_extension("fields", Value::List(vec![field("asOf".into(), message.into())]))
        })?;
        Ok(Self(at.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(at)))
    }

    fn to_value(&self) -> Value {
        <DateTime<Utc> as InputType>::to_value(&self.0)
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(&self.0)
    }
}
