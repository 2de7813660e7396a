//! The source aggregate: the documents facts cite, unique by canonical URL, each with the
//! snapshot its quotes are verified against. A source is public only once a public fact cites
//! it. `store` is its one write path; `query` its reads.
pub mod query;
pub mod store;

pub use store::SourceInput;
