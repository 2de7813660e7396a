//! The actor aggregate: the states, organizations, people and outlets that facts name, with the
//! other names they are known by. `store` is its one write path; `query` its reads.
pub mod query;
pub mod store;

pub use store::ActorInput;
