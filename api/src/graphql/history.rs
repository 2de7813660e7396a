//! The published head of the tamper-evident revision log.
use super::context::ContextExt;
use super::error::Result;
use crate::domain::fact::history::history_head;
use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};

/// The newest entry of the revision log, which chains every change of every fact (public or
/// not) by SHA-256. Keep the heads you see: `chancery verify-history --since-head
/// <sequence>:<hash>` proves that a later log still contains each of them unchanged, so a log
/// cut off and rebuilt after you saw it cannot pass.
#[derive(SimpleObject)]
pub struct HistoryHead {
    /// How many revisions the log holds: the position of the newest one (0 while it is empty).
    /// It counts every fact's revisions, drafts included, and nothing else about them.
    pub sequence: i64,
    /// SHA-256 (hex) of the newest revision, chained over every earlier one (the hash of the
    /// empty string while the log is empty).
    pub hash: String,
    /// When the newest revision was appended; null while the log is empty.
    pub at: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct HistoryQuery;

#[Object]
impl HistoryQuery {
    /// The current head of the revision log, for outside observers to keep and check later.
    async fn history_head(&self, ctx: &Context<'_>) -> Result<HistoryHead> {
        let head = history_head(ctx.db()).await?;
        Ok(HistoryHead { sequence: head.sequence, hash: head.hash, at: head.at })
    }
}
