//! The fact aggregate: a claim about international relations with the citations that source
//! it, its editorial workflow and its tamper-evident history.
//!
//! - `model`: the input an editor writes, and what it becomes once valid;
//! - `rules`: validation of that input, every violation reported at once;
//! - `quotes`: verifying a quote against its source's snapshot;
//! - `workflow`: the state machine (`TRANSITIONS`), who may take each step, who may read what;
//! - `store`: the one write path (create, edit, the workflow's steps, delete), with
//!   `evidence` for the citations proposed, approved and withdrawn on a published fact;
//! - `query`: reads (filters, orderings, keyset pages, the batched loads of a fact's parts),
//!   with `parts` reading a page's participants and citations together with what they name;
//! - `history`: the revision log, its hash chain and the diffs a reviewer reads;
//! - `as_of`: the public record as it stood at a past moment, rebuilt from that log.
pub mod as_of;
pub mod evidence;
pub mod history;
pub mod model;
pub mod parts;
pub mod query;
pub mod quotes;
pub mod review_queue;
pub mod rules;
pub mod store;
pub mod workflow;

pub use model::{CitationInput, FactInput, ParticipantInput, QualifierInput};
pub use store::{Correction, NewFact};
pub use workflow::FactAction;
