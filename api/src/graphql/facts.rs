//! Facts and their provenance: participants, qualifiers, citations with their sources.
use std::collections::HashSet;

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entity::enums::{Attribution, DatePrecision, FactStatus, Modality, ParticipantRole};
use entity::{citation, fact, fact_participant, fact_qualifier};
use sea_orm::DatabaseConnection;

use super::actors::Actor;
use super::connection::{page_request, PageInfo};
use super::error::loader_error;
use super::error::Result;
use super::ids;
use super::kinds::FactKind;
use super::loaders::Loaders;
use super::sources::Source;
use crate::domain::account::Principal;
use crate::domain::fact::history::{changes_since_last_review, revisions_of, FieldChange as DomainFieldChange};
use crate::domain::fact::query::{
    count_facts, list_facts, FactFilter, FactOrder, FactOrderField, ValidFactFilter, Visibility,
};
use crate::domain::fact::workflow::can_read;
use crate::domain::ids::{ActorId, SourceId};
use crate::domain::pagination::Page;
use crate::domain::{DomainError, Violations};

/// The signed-in caller, if any.
pub fn principal<'a>(ctx: &Context<'a>) -> Option<&'a Principal> {
    ctx.data_opt::<Principal>()
}

pub fn loaders<'a>(ctx: &Context<'a>) -> &'a Loaders {
    ctx.data_unchecked::<Loaders>()
}

/// A date known to a stated precision.
#[derive(Debug, Clone, SimpleObject)]
pub struct FuzzyDate {
    /// The first day of the period the date denotes (e.g. 2025-02-01 for February 2025).
    pub date: NaiveDate,
    /// How exactly the date is known.
    pub precision: DatePrecision,
    /// The date as it should be shown: `12 February 2025`, `February 2025` or `2025`.
    pub text: String,
}

impl FuzzyDate {
    pub fn new(date: NaiveDate, precision: DatePrecision) -> Self {
        let text = match precision {
            DatePrecision::Day => format!("{} {}", date.day(), date.format("%B %Y")),
            DatePrecision::Month => date.format("%B %Y").to_string(),
            DatePrecision::Year => date.year().to_string(),
        };
        Self { date, precision, text }
    }
}

#[derive(Clone)]
pub struct Fact(pub fact::Model);

/// A sourced statement about international relations, with its full provenance.
#[Object]
impl Fact {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        ids::encode_uuid(ids::FACT, self.0.id)
    }
    /// The kind of fact, from the controlled vocabulary.
    async fn kind(&self, ctx: &Context<'_>) -> Result<FactKind> {
        let model = loaders(ctx).kinds.load_one(self.0.kind_key.clone()).await.map_err(loader_error)?;
        model
            .map(|model| FactKind { model })
            .ok_or_else(|| DomainError::Internal(format!("fact kind {} missing", self.0.kind_key)).into())
    }
    /// A neutral one-sentence summary.
    async fn summary(&self) -> &str {
        &self.0.summary
    }
    /// Whether the fact records an event, a statement, an intention, a conditional offer or a denial.
    async fn modality(&self) -> Modality {
        self.0.modality
    }
    /// When it happened.
    async fn occurred(&self) -> FuzzyDate {
        FuzzyDate::new(self.0.occurred_on, self.0.occurred_precision)
    }
    /// When it ended, for facts that span a period.
    async fn occurred_until(&self) -> Option<FuzzyDate> {
        self.0.occurred_until.map(|date| FuzzyDate::new(date, self.0.occurred_precision))
    }
    /// ISO 3166-1 alpha-2 code of the country where it happened, if one applies.
    async fn country(&self) -> Option<&str> {
        self.0.country.as_deref()
    }
    /// Workflow status. The public sees PUBLISHED, RETRACTED and SUPERSEDED facts only.
    async fn status(&self) -> FactStatus {
        self.0.status
    }
    /// Incremented by every change; writes must name the version they read.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When the fact was first published.
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }
    /// When the fact was retracted, if it was.
    async fn retracted_at(&self) -> Option<DateTime<Utc>> {
        self.0.retracted_at
    }
    /// Why the fact was retracted.
    async fn retraction_reason(&self) -> Option<&str> {
        self.0.retraction_reason.as_deref()
    }
    /// When the fact was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the fact last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The actors involved, each with their role and the title they held at the time.
    async fn participants(&self, ctx: &Context<'_>) -> Result<Vec<Participant>> {
        let rows = loaders(ctx).participants.load_one(self.0.id).await.map_err(loader_error)?;
        Ok(rows.unwrap_or_default().into_iter().map(Participant).collect())
    }
    /// Key/value details such as `condition` or `facility`.
    async fn qualifiers(&self, ctx: &Context<'_>) -> Result<Vec<Qualifier>> {
        let rows = loaders(ctx).qualifiers.load_one(self.0.id).await.map_err(loader_error)?;
        Ok(rows.unwrap_or_default().into_iter().map(Qualifier::from).collect())
    }
    /// The quotes that source the fact, each tied to a source document.
    async fn citations(&self, ctx: &Context<'_>) -> Result<Vec<Citation>> {
        let rows = loaders(ctx).citations.load_one(self.0.id).await.map_err(loader_error)?;
        Ok(rows.unwrap_or_default().into_iter().map(Citation).collect())
    }
    /// How many distinct outlets published the sources cited (a rough measure of corroboration).
    async fn outlet_count(&self, ctx: &Context<'_>) -> Result<i32> {
        let loaders = loaders(ctx);
        let citations = loaders.citations.load_one(self.0.id).await.map_err(loader_error)?.unwrap_or_default();
        let source_ids: Vec<_> = citations.iter().map(|c| c.source_id).collect();
        let sources = loaders.sources.load_many(source_ids).await.map_err(loader_error)?;
        let outlets: HashSet<_> = sources.values().filter_map(|s| s.outlet_id).collect();
        Ok(outlets.len() as i32)
    }
    /// The published fact this one corrects, if it is a correction.
    async fn supersedes(&self, ctx: &Context<'_>) -> Result<Option<Fact>> {
        visible_fact(ctx, self.0.supersedes_id).await
    }
    /// Every change and workflow step of this fact, oldest first. The public sees actions and
    /// times; the author, reviewers and admins also see comments.
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<Revision>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let staff = principal(ctx).is_some_and(|p| p.can_review() || p.user_id == self.0.created_by);
        // Numbered among this fact's revisions, every one of which whoever sees the fact sees.
        let revisions = revisions_of(db, self.0.id).await?;
        Ok(revisions.into_iter().zip(1..).map(|(model, number)| Revision { model, number, staff }).collect())
    }
    /// For the author, reviewers and admins: what changed since a reviewer last decided on this
    /// fact (everything, if none has). Null for everyone else.
    async fn changes_since_last_review(&self, ctx: &Context<'_>) -> Result<Option<Vec<FieldChange>>> {
        let allowed = principal(ctx).is_some_and(|p| p.can_review() || p.user_id == self.0.created_by);
        if !allowed {
            return Ok(None);
        }
        let db = ctx.data_unchecked::<DatabaseConnection>();
        Ok(Some(changes_since_last_review(db, self.0.id).await?.into_iter().map(FieldChange::from).collect()))
    }
    /// The correction that replaced this fact, if it was superseded.
    async fn superseded_by(&self, ctx: &Context<'_>) -> Result<Option<Fact>> {
        visible_fact(ctx, self.0.superseded_by_id).await
    }
}

/// Loads a linked fact when the caller may see it.
pub async fn visible_fact(ctx: &Context<'_>, id: Option<uuid::Uuid>) -> Result<Option<Fact>> {
    let Some(id) = id else { return Ok(None) };
    let found = loaders(ctx).facts.load_one(id).await.map_err(loader_error)?;
    Ok(found.filter(|f| can_read(principal(ctx), f)).map(Fact))
}

/// One entry of a fact's history.
pub struct Revision {
    model: entity::revision::Model,
    number: i64,
    staff: bool,
}

/// A revision: a full snapshot of a fact after one change or workflow step.
#[Object]
impl Revision {
    /// The fact's version after this step.
    async fn version(&self) -> i32 {
        self.model.fact_version
    }
    /// What happened: CREATED, UPDATED, SUBMITTED, APPROVED, CHANGES_REQUESTED, REJECTED,
    /// RETRACTED, SUPERSEDED or DELETED.
    async fn action(&self) -> &str {
        &self.model.action
    }
    /// When it happened.
    async fn at(&self) -> DateTime<Utc> {
        self.model.created_at
    }
    /// The reviewer's or editor's comment (author, reviewers and admins only).
    async fn comment(&self) -> Option<&str> {
        self.model.comment.as_deref().filter(|_| self.staff)
    }
    /// This revision's number among the fact's own revisions: 1 for the first, then 2, 3 and so
    /// on without gaps, as everyone who sees the fact sees all of its revisions. It counts this
    /// fact's steps only, so it says nothing about other facts (their position in the log, which
    /// chains every fact's revisions, published or not, is not exposed; `Query.historyHead`
    /// publishes the log's length and newest hash).
    async fn sequence(&self) -> i64 {
        self.number
    }
    /// SHA-256 of the previous revision's hash and this revision's canonical content.
    async fn hash(&self) -> &str {
        &self.model.hash
    }
}

/// A field that differs between two revisions of a fact.
#[derive(SimpleObject)]
pub struct FieldChange {
    /// The field (e.g. `summary`, `citations`).
    pub field: String,
    /// Its value before, as JSON; null when absent.
    pub before: Option<String>,
    /// Its value after, as JSON; null when absent.
    pub after: Option<String>,
}

impl From<DomainFieldChange> for FieldChange {
    fn from(change: DomainFieldChange) -> Self {
        Self { field: change.field, before: change.before, after: change.after }
    }
}

pub struct Participant(fact_participant::Model);

/// An actor's part in a fact.
#[Object]
impl Participant {
    /// The actor.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Actor> {
        load_actor(ctx, self.0.actor_id).await
    }
    /// What part the actor plays.
    async fn role(&self) -> ParticipantRole {
        self.0.role
    }
    /// The title the actor held at the time, e.g. "Defence Minister".
    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }
}

pub async fn load_actor(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Actor> {
    loaders(ctx)
        .actors
        .load_one(id)
        .await
        .map_err(loader_error)?
        .map(Actor)
        .ok_or_else(|| DomainError::Internal(format!("actor {id} missing")).into())
}

async fn load_optional_actor(ctx: &Context<'_>, id: Option<uuid::Uuid>) -> Result<Option<Actor>> {
    match id {
        Some(id) => load_actor(ctx, id).await.map(Some),
        None => Ok(None),
    }
}

/// A key/value detail of a fact, e.g. `condition` = "provided it serves the Arab nation's interests".
#[derive(SimpleObject)]
pub struct Qualifier {
    /// The qualifier key, one the fact's kind allows.
    pub key: String,
    /// The value.
    pub value: String,
}

impl From<fact_qualifier::Model> for Qualifier {
    fn from(model: fact_qualifier::Model) -> Self {
        Self { key: model.key, value: model.value }
    }
}

pub struct Citation(citation::Model);

/// A verbatim quote linking a fact to the source it came from.
#[Object]
impl Citation {
    /// The source document.
    async fn source(&self, ctx: &Context<'_>) -> Result<Source> {
        loaders(ctx)
            .sources
            .load_one(self.0.source_id)
            .await
            .map_err(loader_error)?
            .map(Source)
            .ok_or_else(|| DomainError::Internal(format!("source {} missing", self.0.source_id)).into())
    }
    /// The quote, exactly as it appears in the source.
    async fn quote(&self) -> &str {
        &self.0.quote
    }
    /// Whether the source states it directly or relays another's statement.
    async fn attribution(&self) -> Attribution {
        self.0.attribution
    }
    /// Whose words these are (the Kremlin, the defence minister), when not the source's own.
    async fn attributed_to(&self, ctx: &Context<'_>) -> Result<Option<Actor>> {
        load_optional_actor(ctx, self.0.attributed_to_id).await
    }
    /// For relayed statements: the publication or body the source relays (e.g. The Washington Post).
    async fn relayed_from(&self, ctx: &Context<'_>) -> Result<Option<Actor>> {
        load_optional_actor(ctx, self.0.relayed_from_id).await
    }
    /// Whether the quote was found verbatim in the source's stored snapshot (after normalizing
    /// white space, quote marks and dashes). False when the source has no snapshot.
    async fn verified(&self) -> bool {
        self.0.verified
    }
    /// Offset of the quote in the snapshot, in characters, when verified.
    async fn snapshot_start(&self) -> Option<i32> {
        self.0.quote_start
    }
    /// End offset (exclusive) of the quote in the snapshot, in characters, when verified.
    async fn snapshot_end(&self) -> Option<i32> {
        self.0.quote_end
    }
}

/// Filters over facts. Lists match any of their values; different fields must all match.
#[derive(InputObject, Default)]
pub struct FactFilterInput {
    /// Only these kinds (keys such as `diplomatic.phone_call`).
    pub kinds: Option<Vec<String>>,
    /// Only kinds of these categories (such as `military`).
    pub categories: Option<Vec<String>>,
    /// Facts in which any of these actors takes part, in any role.
    pub participants: Option<Vec<ID>>,
    /// Facts whose subject is any of these actors.
    pub subjects: Option<Vec<ID>>,
    /// Facts whose object is any of these actors.
    pub objects: Option<Vec<ID>>,
    /// Facts in which every one of these actors takes part: "relations between Russia and Syria".
    pub all_of: Option<Vec<ID>>,
    /// ISO 3166-1 alpha-2 code of the country where the fact happened.
    pub country: Option<String>,
    /// Facts that occurred on or after this date.
    pub occurred_from: Option<NaiveDate>,
    /// Facts that occurred on or before this date.
    pub occurred_to: Option<NaiveDate>,
    /// Facts citing any of these sources.
    pub sources: Option<Vec<ID>>,
    /// Facts citing a source published by any of these outlets.
    pub outlets: Option<Vec<ID>>,
    /// Full-text search over summaries, qualifiers and quotes; every word must match (stemmed).
    pub search: Option<String>,
    /// Only facts with at least one quote verified against its source's snapshot.
    pub verified_only: Option<bool>,
}

impl FactFilterInput {
    /// Decodes ids and checks everything, reporting all problems at once under `prefix`.
    pub async fn into_domain(self, db: &DatabaseConnection, prefix: &str) -> Result<ValidFactFilter> {
        let mut violations = Violations::new();
        let mut actors = |ids: Option<Vec<ID>>, name: &str| {
            ids::decode_list::<ActorId>(&ids.unwrap_or_default(), &format!("{prefix}.{name}"), &mut violations)
        };
        let participants = actors(self.participants, "participants");
        let subjects = actors(self.subjects, "subjects");
        let objects = actors(self.objects, "objects");
        let all_of = actors(self.all_of, "allOf");
        let outlets = actors(self.outlets, "outlets");
        let sources = ids::decode_list::<SourceId>(
            &self.sources.unwrap_or_default(),
            &format!("{prefix}.sources"),
            &mut violations,
        );
        let filter = FactFilter {
            participants,
            subjects,
            objects,
            all_of,
            outlets,
            sources,
            kinds: self.kinds.unwrap_or_default(),
            categories: self.categories.unwrap_or_default(),
            country: self.country,
            occurred_from: self.occurred_from,
            occurred_to: self.occurred_to,
            search: self.search,
            verified_only: self.verified_only.unwrap_or(false),
        };
        Ok(filter.validate(db, prefix, violations).await?)
    }
}

/// Fields facts can be sorted by.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
#[graphql(name = "FactOrderField")]
pub enum FactOrderFieldInput {
    /// When the fact happened (first day of the period for MONTH or YEAR precision).
    #[default]
    OccurredAt,
    /// When the fact was published.
    PublishedAt,
}

/// Sort direction.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderDirection {
    /// Oldest first.
    Asc,
    /// Newest first.
    #[default]
    Desc,
}

/// How to sort facts. Ties are broken by id, so the order is total and pagination stable.
#[derive(InputObject, Default)]
pub struct FactOrderInput {
    /// The field to sort by.
    #[graphql(default)]
    pub field: FactOrderFieldInput,
    /// The direction.
    #[graphql(default)]
    pub direction: OrderDirection,
}

impl From<FactOrderInput> for FactOrder {
    fn from(input: FactOrderInput) -> Self {
        FactOrder {
            field: match input.field {
                FactOrderFieldInput::OccurredAt => FactOrderField::OccurredAt,
                FactOrderFieldInput::PublishedAt => FactOrderField::PublishedAt,
            },
            ascending: input.direction == OrderDirection::Asc,
        }
    }
}

/// One fact in a connection.
pub struct FactEdge {
    cursor: String,
    node: fact::Model,
}

/// An edge of a fact connection.
#[Object]
impl FactEdge {
    /// Opaque cursor of this fact in the list's ordering.
    async fn cursor(&self) -> &str {
        &self.cursor
    }
    /// The fact.
    async fn node(&self) -> Fact {
        Fact(self.node.clone())
    }
}

pub struct FactConnection {
    page: Page<fact::Model>,
    order: FactOrder,
    filter: ValidFactFilter,
    visibility: Visibility,
}

/// A page of facts (Relay connection).
#[Object]
impl FactConnection {
    /// The facts of this page with their cursors.
    async fn edges(&self) -> Vec<FactEdge> {
        self.page.items.iter().map(|f| FactEdge { cursor: self.order.cursor_of(f).encode(), node: f.clone() }).collect()
    }
    /// The facts of this page.
    async fn nodes(&self) -> Vec<Fact> {
        self.page.items.iter().cloned().map(Fact).collect()
    }
    /// Where this page sits in the list.
    async fn page_info(&self) -> PageInfo {
        PageInfo::of(&self.page, |f| self.order.cursor_of(f))
    }
    /// How many facts match the filter in all (one extra statement, only when asked for).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        Ok(count_facts(db, self.visibility, &self.filter).await? as i64)
    }
}

/// Runs a public fact list query; shared by `facts`, `Actor.facts` and `Source.facts`.
#[allow(clippy::too_many_arguments)]
pub async fn fact_connection(
    ctx: &Context<'_>,
    filter: Option<FactFilterInput>,
    order_by: Option<FactOrderInput>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
    scope: impl FnOnce(&mut FactFilter),
) -> Result<FactConnection> {
    let db = ctx.data_unchecked::<DatabaseConnection>();
    let page = page_request(first, after, last, before)?;
    let filter = filter.unwrap_or_default().into_domain(db, "filter").await?.scoped(scope);
    run_fact_query(ctx, Visibility::Public, filter, order_by.unwrap_or_default().into(), page).await
}

/// Runs a fact list query over the facts of `visibility` in a fixed order.
#[allow(clippy::too_many_arguments)]
pub async fn fact_connection_in(
    ctx: &Context<'_>,
    visibility: Visibility,
    filter: Option<FactFilterInput>,
    order: FactOrder,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<FactConnection> {
    let db = ctx.data_unchecked::<DatabaseConnection>();
    let page = page_request(first, after, last, before)?;
    let filter = filter.unwrap_or_default().into_domain(db, "filter").await?;
    run_fact_query(ctx, visibility, filter, order, page).await
}

async fn run_fact_query(
    ctx: &Context<'_>,
    visibility: Visibility,
    filter: ValidFactFilter,
    order: FactOrder,
    page: crate::domain::pagination::PageRequest,
) -> Result<FactConnection> {
    let db = ctx.data_unchecked::<DatabaseConnection>();
    let page = list_facts(db, visibility, &filter, order, &page).await?;
    prefetch_fact_parts(ctx, &page.items).await?;
    Ok(FactConnection { page, order, filter, visibility })
}

/// Whether the connection's query selects `path` below its facts (via `nodes` or `edges.node`).
fn selects(ctx: &Context<'_>, path: &[&str]) -> bool {
    let look_ahead = ctx.look_ahead();
    [look_ahead.field("nodes"), look_ahead.field("edges").field("node")].into_iter().any(|mut field| {
        for name in path {
            field = field.field(name);
        }
        field.exists()
    })
}

/// Loads, level by level, every relation the query selects for the whole page at once, so the
/// per-fact resolvers find them in the loaders' caches. The DataLoaders alone would batch only
/// the keys that arrive within their delay, which makes the statement count of a page depend on
/// timing; this makes it one statement per relation, whatever the page size.
async fn prefetch_fact_parts(ctx: &Context<'_>, facts: &[fact::Model]) -> Result<()> {
    if facts.is_empty() {
        return Ok(());
    }
    let loaders = loaders(ctx);
    let ids: Vec<_> = facts.iter().map(|f| f.id).collect();
    if selects(ctx, &["kind"]) {
        let keys: HashSet<_> = facts.iter().map(|f| f.kind_key.clone()).collect();
        loaders.kinds.load_many(keys).await.map_err(loader_error)?;
    }
    let want_links = selects(ctx, &["supersedes"]) || selects(ctx, &["supersededBy"]);
    if want_links {
        let linked: HashSet<_> = facts.iter().flat_map(|f| [f.supersedes_id, f.superseded_by_id]).flatten().collect();
        loaders.facts.load_many(linked).await.map_err(loader_error)?;
    }
    if selects(ctx, &["qualifiers"]) {
        loaders.qualifiers.load_many(ids.iter().copied()).await.map_err(loader_error)?;
    }
    let mut actor_ids = HashSet::new();
    if selects(ctx, &["participants"]) {
        let participants = loaders.participants.load_many(ids.iter().copied()).await.map_err(loader_error)?;
        if selects(ctx, &["participants", "actor"]) {
            actor_ids.extend(participants.values().flatten().map(|p| p.actor_id));
        }
    }
    let mut source_ids = HashSet::new();
    if selects(ctx, &["citations"]) || selects(ctx, &["outletCount"]) {
        let citations = loaders.citations.load_many(ids.iter().copied()).await.map_err(loader_error)?;
        let citations: Vec<_> = citations.values().flatten().collect();
        if selects(ctx, &["citations", "attributedTo"]) {
            actor_ids.extend(citations.iter().filter_map(|c| c.attributed_to_id));
        }
        if selects(ctx, &["citations", "relayedFrom"]) {
            actor_ids.extend(citations.iter().filter_map(|c| c.relayed_from_id));
        }
        if selects(ctx, &["citations", "source"]) || selects(ctx, &["outletCount"]) {
            source_ids.extend(citations.iter().map(|c| c.source_id));
        }
    }
    if !source_ids.is_empty() {
        let sources = loaders.sources.load_many(source_ids).await.map_err(loader_error)?;
        if selects(ctx, &["citations", "source", "outlet"]) {
            actor_ids.extend(sources.values().filter_map(|s| s.outlet_id));
        }
    }
    if !actor_ids.is_empty() {
        let wants_aliases = selects(ctx, &["participants", "actor", "aliases"])
            || selects(ctx, &["citations", "source", "outlet", "aliases"])
            || selects(ctx, &["citations", "attributedTo", "aliases"])
            || selects(ctx, &["citations", "relayedFrom", "aliases"]);
        if wants_aliases {
            loaders.aliases.load_many(actor_ids.iter().copied()).await.map_err(loader_error)?;
        }
        loaders.actors.load_many(actor_ids).await.map_err(loader_error)?;
    }
    Ok(())
}

#[derive(Default)]
pub struct FactQuery;

#[Object]
impl FactQuery {
    /// Facts matching `filter`, sorted by `orderBy` (default: occurred, newest first), as a Relay
    /// connection. `first`/`last` default to 20 and may not exceed 100.
    #[graphql(
        complexity = "crate::graphql::connection::fact_page_cost(filter.as_ref(), first, last, child_complexity)"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn facts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to include.")] filter: Option<FactFilterInput>,
        #[graphql(desc = "How to sort.")] order_by: Option<FactOrderInput>,
        #[graphql(desc = "Page size from the start (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to continue before.")] before: Option<String>,
    ) -> Result<FactConnection> {
        fact_connection(ctx, filter, order_by, first, after, last, before, |_| {}).await
    }

    /// One fact by its global id; null when it does not exist or is not visible to the caller.
    async fn fact(&self, ctx: &Context<'_>, #[graphql(desc = "Global id of a Fact.")] id: ID) -> Result<Option<Fact>> {
        let id = ids::decode_uuid(&id, ids::FACT, "id")?;
        visible_fact(ctx, Some(id)).await
    }
}
