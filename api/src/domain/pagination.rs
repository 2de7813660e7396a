//! Relay-style keyset pagination: cursors name a position (sort key + id), never an offset,
//! so page 10,000 costs what page 1 costs.
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sea_orm::sea_query::{Expr, ExprTrait, IntoCondition};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, Select, Value};
use uuid::Uuid;

use super::{DomainError, DomainResult};

pub const DEFAULT_PAGE_SIZE: i32 = 20;
pub const MAX_PAGE_SIZE: i32 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageDirection {
    /// `first`/`after`: walk in the requested order.
    Forward,
    /// `last`/`before`: walk against it, then restore the requested order.
    Backward,
}

/// A validated page request: how many, which way, and from where.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub size: u64,
    pub direction: PageDirection,
    pub cursor: Option<String>,
}

impl PageRequest {
    /// Validates Relay arguments; errors name the offending argument.
    pub fn new(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> DomainResult<Self> {
        let check = |name: &str, value: i32| {
            if value < 0 {
                Err(DomainError::invalid(name, "must not be negative"))
            } else if value > MAX_PAGE_SIZE {
                Err(DomainError::invalid(name, format!("must be at most {MAX_PAGE_SIZE}")))
            } else {
                Ok(value as u64)
            }
        };
        if first.is_some() && last.is_some() {
            return Err(DomainError::invalid("last", "cannot be combined with `first`"));
        }
        if after.is_some() && before.is_some() {
            return Err(DomainError::invalid("before", "cannot be combined with `after`"));
        }
        if let (Some(_), Some(_)) = (&last, &after) {
            return Err(DomainError::invalid("after", "cannot be combined with `last`; use `before`"));
        }
        if let (Some(_), Some(_)) = (&first, &before) {
            return Err(DomainError::invalid("before", "cannot be combined with `first`; use `after`"));
        }
        if let Some(last) = last {
            return Ok(Self { size: check("last", last)?, direction: PageDirection::Backward, cursor: before });
        }
        if before.is_some() {
            return Ok(Self { size: DEFAULT_PAGE_SIZE as u64, direction: PageDirection::Backward, cursor: before });
        }
        let size = check("first", first.unwrap_or(DEFAULT_PAGE_SIZE))?;
        Ok(Self { size, direction: PageDirection::Forward, cursor: after })
    }

    /// The name of the argument that carried the cursor, for error messages.
    pub fn cursor_argument(&self) -> &'static str {
        match self.direction {
            PageDirection::Forward => "after",
            PageDirection::Backward => "before",
        }
    }
}

/// A position in one ordering: its tag (which ordering), sort key and row id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub ordering: &'static str,
    pub key: String,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}|{}|{}", self.ordering, self.key, self.id))
    }

    /// Decodes a cursor made for `ordering`; any other input is a BAD_USER_INPUT on `argument`.
    pub fn decode(raw: &str, ordering: &'static str, argument: &str) -> DomainResult<Self> {
        let invalid = || DomainError::invalid(argument, "is not a cursor of this list and ordering");
        if raw.len() > 512 {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        // No key of ours holds NUL, and Postgres cannot even compare text that does.
        if text.contains('\0') {
            return Err(invalid());
        }
        let mut parts = text.splitn(3, '|');
        let (Some(tag), Some(key), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(invalid());
        };
        if tag != ordering {
            return Err(invalid());
        }
        let id = Uuid::parse_str(id).map_err(|_| invalid())?;
        Ok(Self { ordering, key: key.to_owned(), id })
    }
}

/// One page of rows in the requested order.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

/// Adds the keyset condition, ordering and limit (one extra row tells whether more exist).
pub fn keyset<E, K, I>(
    select: Select<E>,
    key: K,
    id: I,
    position: Option<(Value, Uuid)>,
    ascending: bool,
    request: &PageRequest,
) -> Select<E>
where
    E: EntityTrait,
    K: ColumnTrait,
    I: ColumnTrait,
{
    let walk_ascending = ascending == (request.direction == PageDirection::Forward);
    let order = if walk_ascending { Order::Asc } else { Order::Desc };
    let mut select = select;
    if let Some((key_value, id_value)) = position {
        // A row-value comparison, which both backends turn into one index range scan.
        let row = Expr::tuple([Expr::col((E::default(), key)), Expr::col((E::default(), id))]);
        let position = Expr::tuple([Expr::val(key_value), Expr::val(id_value)]);
        let condition = if walk_ascending { row.gt(position) } else { row.lt(position) };
        select = select.filter(condition.into_condition());
    }
    select.order_by(key, order.clone()).order_by(id, order).limit(request.size + 1)
}

/// Trims the probe row and restores the requested order.
pub fn finish_page<T>(mut rows: Vec<T>, request: &PageRequest) -> Page<T> {
    let has_more = rows.len() as u64 > request.size;
    rows.truncate(request.size as usize);
    let came_from_cursor = request.cursor.is_some();
    match request.direction {
        PageDirection::Forward => Page { items: rows, has_next_page: has_more, has_previous_page: came_from_cursor },
        PageDirection::Backward => {
            rows.reverse();
            Page { items: rows, has_next_page: came_from_cursor, has_previous_page: has_more }
        }
    }
}

/// The cursor of a row in a list ordered by id alone, tagged `ordering`.
pub fn id_cursor(ordering: &'static str, id: Uuid) -> Cursor {
    Cursor { ordering, key: String::new(), id }
}

/// One page of `select` ordered by its `id` column alone (UUIDv7 ids, so creation order),
/// whose cursors are tagged `ordering`: the lists of sources, accounts and pending citations.
pub async fn page_by_id<C, E, I>(
    db: &C,
    select: Select<E>,
    id: I,
    ordering: &'static str,
    ascending: bool,
    request: &PageRequest,
) -> DomainResult<Page<E::Model>>
where
    C: ConnectionTrait,
    E: EntityTrait,
    I: ColumnTrait + Copy,
{
    let position = match &request.cursor {
        Some(raw) => {
            let cursor = Cursor::decode(raw, ordering, request.cursor_argument())?;
            Some((cursor.id.into(), cursor.id))
        }
        None => None,
    };
    let select = keyset(select, id, id, position, ascending, request);
    Ok(finish_page(select.all(db).await?, request))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_refuses_other_orderings() {
        let cursor = Cursor { ordering: "occ", key: "2025-02-01".into(), id: Uuid::now_v7() };
        let encoded = cursor.encode();
        assert_eq!(Cursor::decode(&encoded, "occ", "after").unwrap(), cursor);
        assert!(Cursor::decode(&encoded, "pub", "after").is_err());
        assert!(Cursor::decode("!!!", "occ", "after").is_err());
        let with_nul = URL_SAFE_NO_PAD.encode(format!("occ|2025\u{0}|{}", Uuid::now_v7()));
        assert!(Cursor::decode(&with_nul, "occ", "after").is_err());
    }

    #[test]
    fn page_sizes_are_bounded() {
        assert!(PageRequest::new(Some(101), None, None, None).is_err());
        assert!(PageRequest::new(Some(-1), None, None, None).is_err());
        assert!(PageRequest::new(Some(1), None, Some(1), None).is_err());
        assert_eq!(PageRequest::new(None, None, None, None).unwrap().size, 20);
    }
}
