//! The one Relay connection every list is served as: `Connection<N>` and `Edge<N>`, named after
//! their node type (`FactConnection`, `ActorEdge`, …), with the one parser of the Relay
//! arguments and the complexity a page weighs.
use std::borrow::Cow;

use async_graphql::{Context, Object, OutputType, SimpleObject, TypeName};

use super::context::ContextExt;
use super::error::Result;
use crate::domain::account::query::{count_users, UserFilter};
use crate::domain::actor::query::{count_actors, ActorFilter};
use crate::domain::fact::evidence::count_pending_citations;
use crate::domain::fact::query::{count_facts, ValidFactFilter, Visibility};
use crate::domain::fact::review_queue::count_review_queue;
use crate::domain::feed::count_public_changes;
use crate::domain::pagination::{Cursor, Page, PageRequest, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::domain::source::query::{count_sources, SourceFilter};
use crate::domain::DomainResult;

/// A node type lists are made of; its name prefixes its connection's and edge's names.
pub trait ListNode: OutputType + Clone + 'static {
    const NAME: &'static str;
}

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

/// What a list counts when asked for its `totalCount`: the query it was read with.
#[derive(Debug, Clone)]
pub enum Total {
    Facts {
        visibility: Visibility,
        filter: Box<ValidFactFilter>,
    },
    Actors(ActorFilter),
    Sources(SourceFilter),
    PendingCitations,
    ReviewQueue(Box<ValidFactFilter>),
    Users(UserFilter),
    /// The public change feed.
    Changes,
}

/// One page of a list.
pub struct Connection<N> {
    edges: Vec<Edge<N>>,
    page_info: PageInfo,
    total: Total,
}

/// An item of a list with its cursor.
#[derive(Clone)]
pub struct Edge<N> {
    cursor: String,
    node: N,
}

impl<N: ListNode> Connection<N> {
    /// The connection of `page`: each row's cursor in the list's ordering, and its node.
    pub fn new<R>(page: Page<R>, cursor: impl Fn(&R) -> Cursor, node: impl Fn(R) -> N, total: Total) -> Self {
        let edges: Vec<Edge<N>> =
            page.items.into_iter().map(|row| Edge { cursor: cursor(&row).encode(), node: node(row) }).collect();
        let page_info = PageInfo {
            has_next_page: page.has_next_page,
            has_previous_page: page.has_previous_page,
            start_cursor: edges.first().map(|edge| edge.cursor.clone()),
            end_cursor: edges.last().map(|edge| edge.cursor.clone()),
        };
        Self { edges, page_info, total }
    }
}

impl<N: ListNode> TypeName for Connection<N> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Connection", N::NAME).into()
    }
}

impl<N: ListNode> TypeName for Edge<N> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Edge", N::NAME).into()
    }
}

/// A page of a list (Relay connection).
#[Object(name_type)]
impl<N: ListNode> Connection<N> {
    /// The items of this page with their cursors.
    async fn edges(&self) -> Vec<Edge<N>> {
        self.edges.clone()
    }
    /// The items of this page.
    async fn nodes(&self) -> Vec<N> {
        self.edges.iter().map(|edge| edge.node.clone()).collect()
    }
    /// Where this page sits in the list.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }
    /// How many items match the list's filter in all (one extra statement, only when asked for).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let db = ctx.db();
        let count = match &self.total {
            Total::Facts { visibility, filter } => count_facts(db, *visibility, filter).await?,
            Total::Actors(filter) => count_actors(db, filter).await?,
            Total::Sources(filter) => count_sources(db, filter).await?,
            Total::PendingCitations => count_pending_citations(db).await?,
            Total::ReviewQueue(filter) => count_review_queue(db, filter).await?,
            Total::Users(filter) => count_users(db, filter).await?,
            Total::Changes => count_public_changes(db).await?,
        };
        Ok(count as i64)
    }
}

/// An item of a list with its cursor.
#[Object(name_type)]
impl<N: ListNode> Edge<N> {
    /// Opaque cursor of this item in the list's ordering.
    async fn cursor(&self) -> &str {
        &self.cursor
    }
    /// The item.
    async fn node(&self) -> &N {
        &self.node
    }
}

/// Validates the Relay arguments of a connection field (every list takes the same four).
pub fn page_request(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> DomainResult<PageRequest> {
    PageRequest::new(first, after, last, before)
}

/// The complexity of a connection field: its children's cost once per item it may return, so
/// a page of 100 costs a hundred times what one item costs (and nested pages multiply).
pub fn page_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let size = first.or(last).unwrap_or(DEFAULT_PAGE_SIZE);
    let size = size.clamp(1, MAX_PAGE_SIZE) as usize;
    size.saturating_mul(child_complexity).saturating_add(1)
}
