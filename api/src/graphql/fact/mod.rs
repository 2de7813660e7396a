//! Facts in the API: what clients send (`input`), the one runner of fact lists (`list`), the
//! queries (`query`) and the editorial mutations (`mutation`). The `Fact` object and its parts
//! are in `graph`, beside the actors and sources they reference.
pub mod input;
pub mod list;
pub mod mutation;
pub mod query;
