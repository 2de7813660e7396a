//! Relay connection plumbing shared by every list.
use async_graphql::SimpleObject;

use crate::domain::pagination::{Cursor, Page, PageRequest};
use crate::domain::DomainResult;

/// Where a page sits in its list (Relay `PageInfo`).
#[derive(Debug, Clone, SimpleObject)]
pub struct PageInfo {
    /// Whether more items follow this page in the requested order.
    pub has_next_page: bool,
    /// Whether items precede this page in the requested order.
    pub has_previous_page: bool,
    /// Cursor of the first item of the page; pass as `before` to page backwards.
    pub start_cursor: Option<String>,
    /// Cursor of the last item of the page; pass as `after` to page forwards.
    pub end_cursor: Option<String>,
}

impl PageInfo {
    pub fn of<T>(page: &Page<T>, cursor: impl Fn(&T) -> Cursor) -> Self {
        Self {
            has_next_page: page.has_next_page,
            has_previous_page: page.has_previous_page,
            start_cursor: page.items.first().map(|item| cursor(item).encode()),
            end_cursor: page.items.last().map(|item| cursor(item).encode()),
        }
    }
}

/// Validates the Relay arguments of a connection field.
pub fn page_request(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> DomainResult<PageRequest> {
    PageRequest::new(first, after, last, before)
}

/// The complexity of a list of facts: a page's cost, plus the grouped query that "all of these
/// actors" needs, which grows with the number of actors (each may take part in a great many
/// facts).
pub fn fact_page_cost(
    filter: Option<&super::facts::FactFilterInput>,
    first: Option<i32>,
    last: Option<i32>,
    child_complexity: usize,
) -> usize {
    let all_of = filter.and_then(|f| f.all_of.as_ref()).map_or(0, Vec::len);
    page_cost(first, last, child_complexity).saturating_add(all_of.saturating_mul(super::cost::ALL_OF_ACTOR_COST))
}

/// The complexity of a connection field: its children's cost once per item it may return, so
/// a page of 100 costs a hundred times what one item costs (and nested pages multiply).
pub fn page_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let size = first.or(last).unwrap_or(crate::domain::pagination::DEFAULT_PAGE_SIZE);
    let size = size.clamp(1, crate::domain::pagination::MAX_PAGE_SIZE) as usize;
    size.saturating_mul(child_complexity).saturating_add(1)
}
