//! The opt-in cache of answers to anonymous queries (`--response-cache`).
//!
//! Anonymous callers all see the same public record, and it changes only when something is
//! written (published, retracted, superseded, an actor renamed, ...): the database raises a
//! generation number in the same transaction as any such change (migration 000014). An answer
//! is cached under its query (whitespace, commas and comments normalized away), operation name
//! and variables, together with the generation it was computed at, and is served while the
//! generation is unchanged: correct across any number of server processes, at the cost of one
//! primary-key read per request. The ETag names the generation and the query, so a client or a
//! CDN that already holds the answer gets 304 without the query running at all.
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue};
use sha2::{Digest, Sha256};

pub type CacheKey = [u8; 32];

/// One cached answer.
#[derive(Clone)]
pub struct CachedAnswer {
    pub body: Bytes,
    pub etag: HeaderValue,
}

struct Entries {
    generation: i64,
    answers: HashMap<CacheKey, CachedAnswer>,
    /// Insertion order, to evict the oldest first when over budget.
    order: VecDeque<CacheKey>,
    bytes: usize,
}

impl Entries {
    fn empty(generation: i64) -> Self {
        Self { generation, answers: HashMap::new(), order: VecDeque::new(), bytes: 0 }
    }
}

/// Answers of one generation, at most `max_bytes` of them.
pub struct ResponseCache {
    entries: Mutex<Entries>,
    max_bytes: usize,
}

impl ResponseCache {
    pub fn new(max_bytes: usize) -> Self {
        Self { entries: Mutex::new(Entries::empty(0)), max_bytes }
    }

    /// The answer to `key` computed at `generation`, if any. Answers of an older generation are
    /// dropped on the first look at a newer one.
    pub fn get(&self, generation: i64, key: &CacheKey) -> Option<CachedAnswer> {
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.generation != generation {
            if generation > entries.generation {
                *entries = Entries::empty(generation);
            }
            return None;
        }
        entries.answers.get(key).cloned()
    }

    /// Keeps `answer` as computed at `generation` (unless a newer generation was seen since).
    pub fn put(&self, generation: i64, key: CacheKey, answer: CachedAnswer) {
        let size = answer.body.len();
        if size > self.max_bytes {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if generation < entries.generation {
            return;
        }
        if generation > entries.generation {
            *entries = Entries::empty(generation);
        }
        while entries.bytes + size > self.max_bytes {
            let Some(oldest) = entries.order.pop_front() else { break };
            if let Some(evicted) = entries.answers.remove(&oldest) {
                entries.bytes -= evicted.body.len();
            }
        }
        if let Some(previous) = entries.answers.insert(key, answer) {
            entries.bytes -= previous.body.len();
        } else {
            entries.order.push_back(key);
        }
        entries.bytes += size;
    }

    /// Bytes of answers held.
    pub fn bytes(&self) -> usize {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).bytes
    }
}

/// The key of a request: its normalized query, operation name and variables.
pub fn cache_key(request: &async_graphql::Request) -> CacheKey {
    let mut hasher = Sha256::new();
    hasher.update(normalize_document(&request.query).as_bytes());
    hasher.update([0]);
    hasher.update(request.operation_name.as_deref().unwrap_or_default().as_bytes());
    hasher.update([0]);
    // serde_json keeps object keys sorted (no `preserve_order`), so equal variables serialize
    // alike whatever order the client wrote them in.
    hasher.update(serde_json::to_vec(&request.variables).unwrap_or_default());
    hasher.finalize().into()
}

/// The ETag of the answer to `key` at `generation`.
pub fn etag(generation: i64, key: &CacheKey) -> HeaderValue {
    let digest: String = key[..12].iter().map(|byte| format!("{byte:02x}")).collect();
    HeaderValue::from_str(&format!("\"{generation}-{digest}\"")).expect("ASCII")
}

/// Whether the request's If-None-Match names `etag` (or is `*`).
pub fn not_modified(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let wanted = etag.as_bytes();
    headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|value| value.to_str().ok()).any(|value| {
        value.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/").as_bytes() == wanted)
    })
}

/// The query text with what GraphQL ignores taken out: comments, commas, and white space
/// except a single space between two names or numbers. Strings are kept as written.
pub fn normalize_document(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    let mut chars = query.chars().peekable();
    let mut pending_space = false;
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    while let Some(c) = chars.next() {
        match c {
            '#' => {
                while chars.next_if(|&c| c != '\n' && c != '\r').is_some() {}
                pending_space = true;
            }
            ' ' | '\t' | '\n' | '\r' | ',' | '\u{feff}' => pending_space = true,
            '"' => {
                pending_space = false;
                out.push('"');
                let block = chars.peek() == Some(&'"') && {
                    let mut ahead = chars.clone();
                    ahead.next();
                    ahead.peek() == Some(&'"')
                };
                if block {
                    out.push_str("\"\"");
                    chars.next();
                    chars.next();
                    let mut quotes = 0;
                    for c in chars.by_ref() {
                        out.push(c);
                        quotes = if c == '"' { quotes + 1 } else { 0 };
                        if quotes == 3 && !out[..out.len() - 3].ends_with('\\') {
                            break;
                        }
                    }
                } else {
                    let mut escaped = false;
                    for c in chars.by_ref() {
                        out.push(c);
                        if escaped {
                            escaped = false;
                        } else if c == '\\' {
                            escaped = true;
                        } else if c == '"' || c == '\n' {
                            break;
                        }
                    }
                }
            }
            c => {
                if pending_space && out.chars().next_back().is_some_and(is_name) && is_name(c) {
                    out.push(' ');
                }
                pending_space = false;
                out.push(c);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_commas_and_comments_do_not_change_the_key_but_strings_do() {
        let a = "{ facts(first: 20, filter: {search: \"naval  base\"}) { nodes { id } } }";
        let b = "# list\n{facts(first:20 filter:{search:\"naval  base\"}){nodes{id}}}\n";
        assert_eq!(normalize_document(a), normalize_document(b));
        assert_eq!(normalize_document(a), "{facts(first:20 filter:{search:\"naval  base\"}){nodes{id}}}");
        let c = "{ facts(first: 20, filter: {search: \"naval base\"}) { nodes { id } } }";
        assert_ne!(normalize_document(a), normalize_document(c));
        assert_eq!(normalize_document("query Q($a: Int) { x }"), "query Q($a:Int){x}");
        assert_eq!(normalize_document("{ a(s: \"\"\" x,  # y \"\"\") }"), "{a(s:\"\"\" x,  # y \"\"\")}");
        assert_eq!(normalize_document("{ a(s: \"say \\\"hi\\\",  # no\") b }"), "{a(s:\"say \\\"hi\\\",  # no\")b}");
    }

    #[test]
    fn the_key_covers_variables_and_operation_name() {
        let plain = async_graphql::Request::new("query Q($n: Int) { facts(first: $n) { nodes { id } } }");
        let with = |n: i64| {
            async_graphql::Request::new(plain.query.clone())
                .variables(async_graphql::Variables::from_json(serde_json::json!({ "n": n })))
        };
        assert_eq!(cache_key(&with(1)), cache_key(&with(1)));
        assert_ne!(cache_key(&with(1)), cache_key(&with(2)));
        assert_ne!(cache_key(&with(1)), cache_key(&with(1).operation_name("Q")));
    }

    #[test]
    fn a_newer_generation_empties_the_cache_and_the_budget_holds() {
        let cache = ResponseCache::new(10);
        let answer = |text: &'static str| CachedAnswer { body: Bytes::from(text), etag: etag(1, &[0; 32]) };
        cache.put(1, [1; 32], answer("abcd"));
        cache.put(1, [2; 32], answer("efgh"));
        assert!(cache.get(1, &[1; 32]).is_some());
        cache.put(1, [3; 32], answer("ijkl"));
        assert!(cache.get(1, &[1; 32]).is_none(), "the oldest went to keep within 10 bytes");
        assert_eq!(cache.bytes(), 8);
        assert!(cache.get(2, &[2; 32]).is_none(), "generation 2 makes generation 1's answers stale");
        assert_eq!(cache.bytes(), 0);
        cache.put(1, [2; 32], answer("efgh"));
        assert!(cache.get(2, &[2; 32]).is_none(), "an answer computed before the change is not kept");
    }

    #[test]
    fn if_none_match_compares_entity_tags() {
        let tag = etag(7, &[9; 32]);
        let mut headers = HeaderMap::new();
        assert!(!not_modified(&headers, &tag));
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"x\", W/{}", tag.to_str().unwrap())).unwrap(),
        );
        assert!(not_modified(&headers, &tag));
        assert!(!not_modified(&headers, &etag(8, &[9; 32])));
    }
}
