//! Field rules shared by every input: lengths, dates with precision, URLs, codes.
use chrono::{Datelike, NaiveDate};
use entity::enums::DatePrecision;

use super::countries::is_country_code;
use super::urls::canonicalize_url;
use super::Violations;

/// Trimmed text of `min..=max` characters, or a violation on `field`.
pub fn text(violations: &mut Violations, field: &str, value: &str, min: usize, max: usize) -> String {
    let trimmed = value.trim();
    let length = trimmed.chars().count();
    if length < min || length > max {
        if min > 0 && length == 0 {
            violations.add(field, "must not be empty");
        } else {
            violations.add(field, format!("must be {min} to {max} characters"));
        }
    }
    trimmed.to_owned()
}

/// Optional trimmed text; blank becomes `None`.
pub fn optional_text(violations: &mut Violations, field: &str, value: Option<&str>, max: usize) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    if value.chars().count() > max {
        violations.add(field, format!("must be at most {max} characters"));
    }
    Some(value.to_owned())
}

/// A date that is not in the future and is the first day of its period.
pub fn fuzzy_date(violations: &mut Violations, field: &str, date: NaiveDate, precision: DatePrecision) {
    let today = chrono::Utc::now().date_naive();
    if date > today {
        violations.add(field, "must not be in the future");
    }
    let consistent = match precision {
        DatePrecision::Day => true,
        DatePrecision::Month => date.day() == 1,
        DatePrecision::Year => date.day() == 1 && date.month() == 1,
    };
    if !consistent {
        violations.add(field, format!("a {} date must be the first day of its period", precision.as_str()));
    }
}

pub fn country(violations: &mut Violations, field: &str, value: Option<&str>) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    if !is_country_code(value) {
        violations.add(field, "must be an ISO 3166-1 alpha-2 code such as SY");
    }
    Some(value.to_owned())
}

/// An http(s) URL in canonical form.
pub fn url(violations: &mut Violations, field: &str, value: &str) -> String {
    match canonicalize_url(value) {
        Ok(canonical) => canonical,
        Err(error) => {
            violations.add(field, error.to_string());
            String::new()
        }
    }
}

/// `Q` followed by digits, no leading zero.
pub fn wikidata_qid(violations: &mut Violations, field: &str, value: Option<&str>) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    let digits = value.strip_prefix('Q').unwrap_or("");
    let valid = !digits.is_empty()
        && digits.len() <= 12
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if !valid {
        violations.add(field, "must be a Wikidata id: Q followed by digits, e.g. Q858");
    }
    Some(value.to_owned())
}

/// A BCP 47-shaped language tag such as `en` or `pt-BR`.
pub fn language(violations: &mut Violations, field: &str, value: Option<&str>) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    let mut parts = value.split('-');
    let primary = parts.next().unwrap_or("");
    let valid = (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_lowercase())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if !valid {
        violations.add(field, "must be a language tag such as en or pt-BR");
    }
    Some(value.to_owned())
}
