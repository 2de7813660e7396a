//! `chancery seed --facts N`: a realistic dataset at scale, for benchmarks and for trying the
//! API on more than the demo. It writes, into a migrated database holding the demo (loaded
//! first when missing):
//!
//! - a few thousand actors (states, people, ministries, organizations, armed groups, media
//!   outlets; some with aliases) and accounts for the seed's editors and reviewers
//!   (`…@seed.chancery`, which mark a database as seeded);
//! - N/5 sources, each with an outlet, a canonical URL and, for most, a snapshot text;
//! - N facts of the kinds in `fact_kinds`: 2–3 participants in roles the kind allows (the demo's
//!   Russia in ~13 % of facts, Syria in ~8 %, both in ~3 %), 0–2 qualifiers the kind allows
//!   (its required ones always), 1–3 citations of shared sources (quotes taken verbatim from
//!   the snapshot, verified and located, when the source has one), the search document the
//!   store builds, and every revision the workflow would have appended, hash-chained after the
//!   current head. ~90 % end PUBLISHED; the rest RETRACTED, SUPERSEDED (each by a published
//!   correction that supersedes it), IN_REVIEW or DRAFT.
//!
//! Nothing goes through the per-fact write path: rows are computed here (ids, snapshots,
//! digests, hashes, exactly as the stores compute them; the tests compare) and written with
//! multi-row INSERTs of a fixed size, in batches of 250 facts on Postgres and 1,500 on SQLite
//! (SQLite binds at most 32,766 values per statement; every statement here binds fewer than
//! 32,000). A thread computes the rows, and encodes their values, while the database writes the
//! previous batch. Every constraint and trigger of the schema applies to what is written.
//!
//! The chain head's guard (migration 000004) lets the head advance one revision at a time, so
//! the transaction that inserts revisions steps it over them, inside the database: a PL/pgSQL
//! loop on Postgres, a temporary trigger on SQLite. Each step updates the one head row, and
//! Postgres keeps every version of a row updated within one transaction, so each step costs
//! more than the one before it: hence the short transactions on Postgres. There, each batch is
//! two transactions on two connections, one batch apart: the facts with their revisions, then
//! (once those are committed) their participants, qualifiers, citations and search documents.
//! The two lock no row in common (facts and revisions name accounts and kinds; the parts name
//! facts, actors and sources), so neither waits for the other. SQLite, with one writer, writes
//! each batch in one transaction.
//!
//! The data is the same for the same N (a seeded xorshift generator, ids derived from it); the
//! revisions' hashes also depend on the chain they extend. Timestamps lie in a fixed past
//! window (June 2023 to June 2025), in chain order. Seeding twice is refused, and a seed
//! that failed half-way leaves what it committed: seed a fresh database then.
use std::collections::HashMap;
use std::time::Instant;

use anyhow::{bail, Context as _};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use entity::{fact, fact_kind, revision, revision_chain, user};
use sea_orm::sqlx::{self, postgres::PgArguments, sqlite::SqliteArguments, AssertSqlSafe};
use sea_orm::{ColumnTrait, DatabaseBackend, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use crate::auth::passwords::hash_password;
use crate::config::MAX_SEED_FACTS;
use crate::domain::chain::chain_hash;
use crate::domain::fact::quotes::quote_digest;
use crate::domain::kind::string_list;
use crate::domain::urls::canonicalize_url;
use crate::domain::{fold, sha256_hex};

/// The demo's Russia and Syria (the same ids in every installation).
pub const RUSSIA: Uuid = Uuid::from_u128(0x0194f774_9400_749f_8f14_88c48e09203d);
pub const SYRIA: Uuid = Uuid::from_u128(0x0194f774_9400_70c3_a4a9_611dc00df7a7);

/// The domain of the seed's accounts; their presence marks a database as seeded.
pub const ACCOUNT_DOMAIN: &str = "seed.chancery";
const EDITORS: usize = 6;
const REVIEWERS: usize = 3;

/// What a seed wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeedReport {
    pub facts: u64,
    pub participants: u64,
    pub citations: u64,
    pub sources: u64,
    pub qualifiers: u64,
    pub revisions: u64,
    pub actors: u64,
    pub aliases: u64,
    pub accounts: u64,
    pub seconds: f64,
}

/// Seeds `facts` facts into `db` (migrated), printing progress and a final count line.
pub async fn seed(db: &DatabaseConnection, facts: u64) -> anyhow::Result<SeedReport> {
    let started = Instant::now();
    if facts == 0 || facts > MAX_SEED_FACTS {
        bail!("the number of facts must be from 1 to {MAX_SEED_FACTS}, not {facts}");
    }
    refuse_if_seeded(db).await?;
    let backend = db.get_database_backend();
    if !matches!(backend, DatabaseBackend::Postgres | DatabaseBackend::Sqlite) {
        bail!("chancery seed supports Postgres and SQLite only");
    }
    let demo = crate::demo::load_demo(db).await.context("loading the demo")?;
    if demo.facts_created > 0 {
        println!("seed: loaded the demo ({} facts)", demo.facts_created);
    }
    for id in [RUSSIA, SYRIA] {
        if entity::actor::Entity::find_by_id(id).one(db).await?.is_none() {
            bail!("the demo's actor {id} is missing (merged or renamed?); seed a fresh database");
        }
    }
    let kinds = usable_kinds(db).await?;
    let plan = Plan::new(facts, backend);
    let mut report = SeedReport::default();

    // The shared records, in one transaction: all of them or none.
    let accounts = accounts()?;
    report.accounts = accounts.rows.len() as u64;
    let world = World::generate(&plan, &accounts);
    let mut tables = Tables::new(backend, &plan);
    for row in accounts.rows {
        tables.users.push(row);
    }
    for actor in world.actors.iter().chain(&world.outlets) {
        tables.actors.push(actor.row());
        for (n, alias) in actor.aliases.iter().enumerate() {
            let id = seed_uuid(actor.created_at, TAG_ALIAS, actor.index, n as u64);
            tables.aliases.push(vec![id.into(), actor.id.into(), alias.clone().into(), fold(alias).into()]);
        }
    }
    for j in 0..plan.sources {
        tables.sources.push(world.source(j).row(&world));
    }
    report.actors = tables.actors.total;
    report.aliases = tables.aliases.total;
    report.sources = tables.sources.total;
    let mut conn = Conn::acquire(db).await?;
    let mut txn = conn.begin().await?;
    for batch in tables.drain(true) {
        txn.run(batch).await?;
    }
    txn.commit().await?;
    conn.release().await?;
    println!(
        "seed: {} actors, {} aliases, {} sources, {} accounts written in {:.1} s",
        report.actors,
        report.aliases,
        report.sources,
        report.accounts,
        started.elapsed().as_secs_f64()
    );

    // The facts: a thread computes each transaction's rows while the database writes the last.
    let head = revision_chain::Entity::find_by_id(1)
        .one(db)
        .await?
        .context("the revision chain head is missing: is the database migrated?")?;
    let (sender, receiver) = tokio::sync::mpsc::channel::<Unit>(3);
    let generator = {
        let plan = plan.clone();
        tokio::task::spawn_blocking(move || generate_facts(&plan, &world, &kinds, head, sender))
    };
    let writer = Writer { db, backend, plan: &plan };
    let mut progress = Progress { started, next: 0.1, printed: Instant::now() };
    // Postgres runs the two transactions of a batch on two connections, one batch apart: the
    // facts and revisions of the next batch are written while the parts of the last are.
    let written = match backend {
        DatabaseBackend::Postgres => writer.two_streams(receiver, &mut report, &mut progress).await,
        _ => writer.one_stream(receiver, &mut report, &mut progress).await,
    };
    let generated = generator.await.context("the generator thread panicked")?;
    if let Err(error) = written {
        return Err(error.context(format!(
            "seeding stopped after {} facts; what was committed stays: seed a fresh database",
            report.facts
        )));
    }
    generated?;
    if backend == DatabaseBackend::Postgres {
        // Fresh statistics, so that the first queries are planned for the data that is there
        // (autovacuum would get there later); it may take longer than one statement may.
        let mut conn = Conn::acquire(db).await?;
        let mut txn = conn.begin().await?;
        txn.execute(
            "ANALYZE actors, actor_aliases, sources, facts, fact_participants, fact_qualifiers, citations, \
             fact_search_documents, revisions",
        )
        .await?;
        txn.commit().await?;
        conn.release().await?;
    }
    report.seconds = started.elapsed().as_secs_f64();
    println!(
        "seeded {} facts, {} participants, {} citations, {} sources, {} qualifiers, {} revisions in {:.1} s",
        report.facts,
        report.participants,
        report.citations,
        report.sources,
        report.qualifiers,
        report.revisions,
        report.seconds
    );
    Ok(report)
}

/// Refuses a database that already holds a seed (its accounts are there).
async fn refuse_if_seeded(db: &DatabaseConnection) -> anyhow::Result<()> {
    let accounts: Vec<Uuid> = user::Entity::find()
        .filter(user::Column::Email.like(format!("%@{ACCOUNT_DOMAIN}")))
        .all(db)
        .await?
        .into_iter()
        .map(|account| account.id)
        .collect();
    if accounts.is_empty() {
        return Ok(());
    }
    let facts = fact::Entity::find().filter(fact::Column::CreatedBy.is_in(accounts)).count(db).await?;
    bail!(
        "this database is already seeded: it holds {facts} facts written by the seed's accounts (…@{ACCOUNT_DOMAIN}); \
         seeding again would duplicate them, so nothing was written. Seed a fresh database instead."
    )
}

/// A kind a new fact may have, with what it admits.
#[derive(Debug, Clone)]
struct Kind {
    key: String,
    label: String,
    symmetric: bool,
    roles: Vec<&'static str>,
    allowed_qualifiers: Vec<String>,
    required_qualifiers: Vec<String>,
    weight: u32,
    template: Option<&'static str>,
}

async fn usable_kinds(db: &DatabaseConnection) -> anyhow::Result<Vec<Kind>> {
    let rows = fact_kind::Entity::find().filter(fact_kind::Column::DeprecatedAt.is_null()).all(db).await?;
    let mut kinds: Vec<Kind> = rows
        .into_iter()
        .filter_map(|row| {
            let roles: Vec<&'static str> = string_list(&row.allowed_roles)
                .iter()
                .filter_map(|role| ROLES.iter().copied().find(|known| known == role))
                .collect();
            let known = KIND_TEMPLATES.iter().find(|(key, _, _)| *key == row.key);
            (!roles.is_empty()).then(|| Kind {
                label: row.label.clone(),
                symmetric: row.symmetric,
                roles,
                allowed_qualifiers: string_list(&row.allowed_qualifiers),
                required_qualifiers: string_list(&row.required_qualifiers),
                weight: known.map_or(1, |(_, weight, _)| *weight),
                template: known.map(|(_, _, template)| *template),
                key: row.key,
            })
        })
        .collect();
    kinds.sort_by(|a, b| a.key.cmp(&b.key));
    if kinds.is_empty() {
        bail!("no fact kind in fact_kinds may be used (all deprecated?)");
    }
    Ok(kinds)
}

/// The seed's accounts: editors write facts, reviewers approve them (never their own).
struct Accounts {
    editors: Vec<Uuid>,
    reviewers: Vec<Uuid>,
    rows: Vec<Vec<Cell>>,
}

/// The seed's accounts, as `account::store::create_user` would write them. Nobody signs in as
/// them: their passwords are random and never shown.
fn accounts() -> anyhow::Result<Accounts> {
    use password_hash::rand_core::{OsRng, RngCore};
    let mut accounts = Accounts { editors: Vec::new(), reviewers: Vec::new(), rows: Vec::new() };
    let created = at(window_start() - 500 * 86_400 * 1_000_000);
    for (role, count, name) in [("EDITOR", EDITORS, "editor"), ("REVIEWER", REVIEWERS, "reviewer")] {
        for n in 1..=count {
            let id = seed_uuid(created, TAG_ACCOUNT, accounts.rows.len() as u64, 0);
            let mut password = [0u8; 24];
            OsRng.fill_bytes(&mut password);
            let hash = hash_password(&hex::encode(password)).map_err(|e| anyhow::anyhow!("hashing a password: {e}"))?;
            accounts.rows.push(vec![
                id.into(),
                format!("{name}-{n}@{ACCOUNT_DOMAIN}").into(),
                format!("Seed {name} {n}").into(),
                role.into(),
                hash.into(),
                true.into(),
                0i32.into(),
                created.into(),
                created.into(),
            ]);
            if role == "EDITOR" {
                accounts.editors.push(id);
            } else {
                accounts.reviewers.push(id);
            }
        }
    }
    Ok(accounts)
}

// ---------------------------------------------------------------------------------------------
// Sizes and time
// ---------------------------------------------------------------------------------------------

/// The shape of one seed, derived from N alone.
#[derive(Debug, Clone)]
struct Plan {
    facts: u64,
    backend: DatabaseBackend,
    /// Actors that take part in facts (besides the demo's), and media outlets.
    actors: u64,
    outlets: u64,
    sources: u64,
    /// Facts per transaction (even, so a superseded fact and its correction share one).
    facts_per_transaction: u64,
    /// Rows per multi-row INSERT of revisions (the head steps over them in the same transaction).
    revisions_per_statement: usize,
    /// Rows per multi-row INSERT of the other tables (capped by the bound-value limit).
    rows_per_statement: usize,
}

impl Plan {
    fn new(facts: u64, backend: DatabaseBackend) -> Self {
        let postgres = backend == DatabaseBackend::Postgres;
        Self {
            facts,
            backend,
            actors: (facts / 50).clamp(2_000, 20_000),
            outlets: (facts / 2_000).clamp(60, 1_000),
            sources: (facts / 5).max(3),
            facts_per_transaction: if postgres { 250 } else { 1_500 },
            revisions_per_statement: if postgres { 500 } else { 2_500 },
            rows_per_statement: if postgres { 1_000 } else { 5_000 },
        }
    }
}

/// Values bound in one statement: below SQLite's limit of 32,766.
const MAX_BOUND_VALUES: usize = 32_000;

/// The window the seeded record was written in.
fn window_start() -> i64 {
    NaiveDate::from_ymd_opt(2023, 6, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(0, |t| t.and_utc().timestamp_micros())
}
const WINDOW_MICROS: i64 = 730 * 86_400 * 1_000_000;

/// A time in the window, with an odd number of microseconds: SQLite stores timestamps as text
/// with as many fractional digits as needed, so a value of whole milliseconds would be written
/// shorter than its neighbours and compare out of order with them as text.
fn at(micros: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_micros(micros | 1).unwrap_or_default()
}

/// The start of slot `index` of `count` over the window.
fn slot_start(index: u64, count: u64) -> i64 {
    window_start() + ((WINDOW_MICROS as i128) * index as i128 / count.max(1) as i128) as i64
}

fn slot_width(count: u64) -> i64 {
    (WINDOW_MICROS / count.max(1) as i64).max(8)
}

// ---------------------------------------------------------------------------------------------
// Determinism: a seeded xorshift generator and ids derived from it
// ---------------------------------------------------------------------------------------------

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xorshift64*: small, fast and good enough for synthetic data.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    /// The stream for record `index` of a kind (`tag`): the same record always draws the same.
    fn of(tag: u64, index: u64) -> Self {
        Rng(splitmix(splitmix(tag) ^ index) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in 0..n (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() >> 32) * n) >> 32
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An index in 0..n favouring the first ones: a few popular actors, sources and outlets.
    fn skewed(&mut self, n: u64) -> u64 {
        let u = self.unit();
        ((n as f64 * u * u) as u64).min(n - 1)
    }
}

const TAG_ACTOR: u64 = 1;
const TAG_OUTLET: u64 = 2;
const TAG_ALIAS: u64 = 3;
const TAG_SOURCE: u64 = 4;
const TAG_FACT: u64 = 5;
const TAG_PARTICIPANT: u64 = 6;
const TAG_QUALIFIER: u64 = 7;
const TAG_CITATION: u64 = 8;
const TAG_REVISION: u64 = 9;
const TAG_ACCOUNT: u64 = 10;

/// A UUIDv7 for the record created at `time`: part `part` of record `index` of a kind (`tag`).
/// They are written into the bits a UUIDv7 leaves free (the tag in the 4 bits of the first byte
/// that survive the version, the part, 6 scrambled bits, then the index), so no two records of
/// one seed share an id.
fn seed_uuid(time: DateTime<Utc>, tag: u64, index: u64, part: u64) -> Uuid {
    let mut bits = [0u8; 10];
    bits[0] = (tag & 0x0F) as u8;
    bits[1] = part as u8;
    bits[2] = (splitmix(index ^ (tag << 48)) & 0x3F) as u8;
    bits[3..].copy_from_slice(&index.to_be_bytes()[1..]);
    uuid::Builder::from_unix_timestamp_millis(time.timestamp_millis().max(0) as u64, &bits).into_uuid()
}

// ---------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------

const ROLES: &[&str] = &["SUBJECT", "OBJECT", "SPEAKER", "PARTICIPANT", "MEDIATOR"];

/// Kinds the migrations ship: how common each is, and how its summary reads. Kinds added
/// later (by admins) get weight 1 and a generic summary.
const KIND_TEMPLATES: &[(&str, u32, &str)] = &[
    ("diplomatic.phone_call", 4, "{S} and {O} discussed {T} in a telephone call"),
    ("diplomatic.visit", 4, "A delegation of {S} visited {O} for talks on {T} in {P}"),
    ("policy.support_statement", 3, "{S} declared its support for {O} on {T}"),
    ("policy.statement", 5, "{S} set out its position towards {O} on {T}"),
    ("aid.pledge", 2, "{S} pledged assistance to {O} for {T}"),
    ("military.basing_access", 2, "{S} stated the terms of {O}'s use of military facilities near {P}"),
    ("military.armed_attack", 3, "Forces of {S} attacked positions held by {O} near {P}"),
    ("diplomatic.agreement", 3, "{S} and {O} reached an agreement on {T}"),
    ("leadership.change", 1, "{S} took over the leadership of {O}"),
    ("leadership.flight", 1, "{S} left {O} for {P}"),
    ("diplomatic.invitation", 2, "{S} invited {O} to talks on {T} in {P}"),
    ("diplomatic.treaty", 1, "{S} and {O} signed a treaty on {T}"),
    ("diplomatic.recognition", 1, "{S} recognized the authorities of {O}"),
    ("diplomatic.ambassador_recall", 1, "{S} recalled its ambassador from {O} over {T}"),
    ("diplomatic.expulsion", 1, "{S} expelled diplomats of {O} over {T}"),
    ("diplomatic.summit", 2, "Leaders of {S} and {O} met at a summit in {P} on {T}"),
    ("diplomatic.vote", 1, "{S} voted on a resolution concerning {O} and {T}"),
    ("economic.sanctions_imposed", 2, "{S} imposed sanctions on {O} over {T}"),
    ("economic.sanctions_lifted", 1, "{S} eased sanctions on {O} linked to {T}"),
    ("military.arms_transfer", 1, "{S} agreed to supply weapons to {O}"),
    ("military.deployment", 2, "{S} deployed troops alongside {O} near {P}"),
    ("military.withdrawal", 1, "{S} withdrew forces from positions shared with {O} near {P}"),
    ("military.ceasefire", 1, "{S} and {O} agreed a ceasefire around {P}"),
    ("aid.delivery", 2, "{S} delivered aid to {O} in {P}"),
    ("policy.threat", 1, "{S} threatened {O} with consequences over {T}"),
    ("policy.condemnation", 2, "{S} condemned {O} over {T}"),
    ("humanitarian.prisoner_exchange", 1, "{S} and {O} exchanged prisoners in {P}"),
];

const TOPICS: &[&str] = &[
    "naval base access",
    "naval exercises in the eastern Mediterranean",
    "a naval blockade of the coast",
    "naval patrols in the Red Sea",
    "gas pipeline construction",
    "grain exports",
    "sanctions relief",
    "arms deliveries",
    "air defence systems",
    "border security",
    "refugee returns",
    "reconstruction aid",
    "oil exports",
    "debt relief",
    "the nuclear programme",
    "ceasefire monitoring",
    "humanitarian corridors",
    "election observation",
    "counter-terrorism cooperation",
    "wheat shipments",
    "port concessions",
    "phosphate mining",
    "electricity supply",
    "the visa regime",
    "a free trade agreement",
    "a currency swap",
    "military advisers",
    "the closure of airspace",
    "drone strikes",
    "peace talks",
    "the constitutional committee",
    "chemical weapons inspections",
    "the reopening of embassies",
    "fuel shipments",
    "investment guarantees",
    "a railway project",
    "water sharing",
    "fishing rights",
    "cyber attacks",
    "troop withdrawal",
    "mine clearance",
    "medical supplies",
    "student exchanges",
    "space cooperation",
    "arms control",
    "the maritime boundary",
    "a customs union",
    "energy prices",
    "fertiliser exports",
    "intelligence sharing",
    "joint patrols",
    "security guarantees",
    "a loan package",
    "vaccine donations",
    "cultural heritage",
    "judicial cooperation",
];

const OPENERS: &[&str] = &[
    "The foreign ministry said",
    "A government spokesperson said",
    "The minister told reporters that",
    "According to the statement,",
    "The president said",
    "Officials confirmed that",
    "The embassy said",
    "A senior official said",
];

const VERBS: &[&str] = &[
    "talks on",
    "an agreement on",
    "progress on",
    "no decision yet on",
    "a proposal on",
    "concerns about",
    "a review of",
    "new steps on",
    "a framework for",
    "further consultations on",
];

const TAILS: &[&str] = &[
    "would continue",
    "was discussed at length",
    "remained a priority for both sides",
    "had been agreed in principle",
    "depended on further guarantees",
    "was raised during the meeting",
    "would be reviewed next month",
    "served the interests of both countries",
    "required international support",
    "was not on the agenda",
    "had stalled since last year",
    "would be finalised soon",
];

const PLACES: &[&str] = &[
    "Tartus", "Hmeimim", "Latakia", "Damascus", "Aleppo", "Moscow", "Ankara", "Tehran", "Geneva", "Astana", "Doha",
    "Baghdad", "Beirut", "Amman", "Cairo", "Riyadh",
];

const FIRST_NAMES: &[&str] = &[
    "Anna", "Boris", "Carlos", "Dmitry", "Elena", "Farid", "Gul", "Hassan", "Irina", "Jamal", "Karim", "Leila",
    "Maria", "Nikolai", "Omar", "Pavel", "Rania", "Sergei", "Tariq", "Yusuf", "Amira", "Bilal", "Chen", "Daria",
    "Emre", "Fatima", "Georgi", "Hana", "Ivan", "Jana", "Khalid", "Lina", "Mustafa", "Nadia", "Oleg", "Parisa",
    "Rustam", "Salma", "Timur", "Zeynep",
];

const LAST_NAMES: &[&str] = &[
    "Ahmadi",
    "Belov",
    "Chaudhry",
    "Dabbagh",
    "Ermakov",
    "Farouk",
    "Guseinov",
    "Haddad",
    "Ivanov",
    "Jaber",
    "Kuznetsov",
    "Lahham",
    "Mansour",
    "Nasser",
    "Orlov",
    "Petrov",
    "Qassem",
    "Rahimi",
    "Sokolov",
    "Taha",
    "Usmanov",
    "Volkov",
    "Yilmaz",
    "Zaki",
    "Abbas",
    "Bakr",
    "Celik",
    "Darwish",
    "Egorov",
    "Fadel",
    "Gromov",
    "Hamdan",
    "Ismail",
    "Jafari",
    "Karimov",
    "Lavrov",
    "Makdisi",
    "Nouri",
    "Osman",
    "Popov",
    "Qureshi",
    "Rostami",
    "Saleh",
    "Tarasov",
    "Umarov",
    "Vasiliev",
    "Wahbi",
    "Yousef",
    "Zaitsev",
    "Aziz",
    "Boutros",
    "Demir",
    "Frolov",
    "Ghanem",
    "Hakimi",
    "Issa",
    "Kaya",
    "Lebedev",
    "Morozov",
    "Najjar",
];

const SYLLABLES: &[&str] = &[
    "al", "ben", "cor", "dar", "el", "fal", "gor", "har", "is", "kar", "lor", "mar", "nor", "os", "per", "ran", "sar",
    "tal", "ur", "val", "zan", "ket", "mir", "dov",
];

const STATE_ENDINGS: &[&str] = &["ia", "stan", "land", "ova", "ara", "esh"];

const ORGANIZATION_WORDS: &[&str] = &[
    "Union",
    "Council",
    "Foundation",
    "Institute",
    "Alliance",
    "Company",
    "Association",
    "Committee",
    "Front",
    "Movement",
];

const ADJECTIVES: &[&str] = &[
    "Northern",
    "Eastern",
    "Western",
    "Southern",
    "Coastal",
    "National",
    "Regional",
    "Free",
    "United",
    "Central",
    "Democratic",
    "Popular",
];

const MINISTRIES: &[&str] = &[
    "Ministry of Foreign Affairs",
    "Ministry of Defence",
    "Ministry of Energy",
    "Ministry of the Interior",
    "Presidential Office",
    "National Security Council",
    "Ministry of Trade",
    "General Staff",
];

const OUTLET_WORDS: &[&str] = &[
    "Herald",
    "Observer",
    "Tribune",
    "Courier",
    "Gazette",
    "Daily",
    "Monitor",
    "Post",
    "Times",
    "Chronicle",
    "Dispatch",
    "Wire",
];

const TITLES: &[&str] = &[
    "President",
    "Prime Minister",
    "Foreign Minister",
    "Defence Minister",
    "Spokesperson",
    "Ambassador",
    "Special Envoy",
    "Chief of Staff",
];

const RETRACTION_REASONS: &[&str] = &[
    "The source withdrew the report.",
    "The quote was attributed to the wrong official.",
    "A later statement by the ministry contradicted the account.",
    "The event was reported twice under different dates.",
];

/// Every officially assigned country code (a participant's or a fact's country).
const COUNTRY_CODES: &[&str] = &[
    "AE", "AF", "AM", "AZ", "BH", "BY", "CN", "CY", "DE", "DZ", "EG", "FR", "GB", "GE", "GR", "IL", "IN", "IQ", "IR",
    "IT", "JO", "JP", "KP", "KR", "KW", "KZ", "LB", "LY", "MA", "OM", "PK", "PS", "QA", "RU", "SA", "SD", "SY", "TM",
    "TN", "TR", "UA", "US", "UZ", "YE", "ES", "PL", "RS", "VE", "CU", "BR",
];

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// One sentence of a source's text (and of quotes): an official about a topic.
fn sentence(opener: usize, verb: usize, topic: usize, tail: usize) -> String {
    format!(
        "{} {} {} {}.",
        OPENERS[opener % OPENERS.len()],
        VERBS[verb % VERBS.len()],
        TOPICS[topic % TOPICS.len()],
        TAILS[tail % TAILS.len()]
    )
}

fn qualifier_value(key: &str, rng: &mut Rng, topic: &str, place: &str) -> String {
    let one = |rng: &mut Rng, items: &[&str]| rng.pick(items).to_string();
    match key {
        "topic" | "reason" => topic.to_owned(),
        "location" | "venue" | "destination" => place.to_owned(),
        "tone" => one(rng, &["frank and constructive", "cordial", "tense", "businesslike"]),
        "initiated_by" => one(rng, &["the first side", "the other side"]),
        "delegation" => one(rng, &["led by the foreign minister", "led by a deputy prime minister", "military"]),
        "condition" => one(
            rng,
            &[
                "provided it serves national interests",
                "subject to parliamentary approval",
                "if the ceasefire holds",
                "in exchange for sanctions relief",
            ],
        ),
        "facility" => one(
            rng,
            &[
                "the naval base at Tartus",
                "the air base at Hmeimim",
                "a naval logistics point at Latakia",
                "an airfield",
            ],
        ),
        "aid_type" | "sector" => {
            one(rng, &["humanitarian", "food", "medical", "financial", "energy", "reconstruction"])
        }
        "amount" | "value" => format!("{} million US dollars", 5 + rng.below(500)),
        "duration" => one(rng, &["49 years", "25 years", "one year", "indefinitely"]),
        "target" => one(rng, &["an army checkpoint", "a supply convoy", "a fuel depot", "an air defence site"]),
        "weapon" => one(rng, &["drones", "artillery", "rockets", "air strikes"]),
        "casualties" => format!("{} killed", 1 + rng.below(40)),
        "instrument" => {
            one(rng, &["memorandum of understanding", "framework agreement", "protocol", "joint declaration"])
        }
        "office" => one(rng, &["president", "prime minister", "head of the transitional government"]),
        "mechanism" => one(rng, &["election", "appointment", "military takeover", "succession"]),
        "event" => one(rng, &["a regional security conference", "an investment forum", "a signing ceremony"]),
        "stage" => one(rng, &["signed", "ratified", "acceded"]),
        "scope" => one(rng, &["full diplomatic relations", "the transitional government", "consular relations"]),
        "envoy" => one(rng, &["ambassador", "charge d'affaires", "special envoy"]),
        "number" | "quantity" => (2 + rng.below(60)).to_string(),
        "format" => one(rng, &["bilateral", "trilateral", "multilateral"]),
        "body" => one(rng, &["the UN Security Council", "the UN General Assembly", "the Arab League"]),
        "resolution" => format!("resolution {}", 2000 + rng.below(800)),
        "vote" => one(rng, &["in favour", "against", "abstained"]),
        "measure" => one(rng, &["asset freezes", "an export ban", "travel bans", "an arms embargo"]),
        "equipment" => one(rng, &["air defence systems", "armoured vehicles", "patrol boats", "helicopters"]),
        "force" => one(rng, &["naval infantry", "special forces", "military police", "an armoured brigade"]),
        "size" => format!("about {} troops", 100 * (1 + rng.below(30))),
        "threatened_action" => one(rng, &["sanctions", "military action", "a trade embargo", "expelling diplomats"]),
        _ => topic.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Actors and sources
// ---------------------------------------------------------------------------------------------

struct SeedActor {
    index: u64,
    id: Uuid,
    name: String,
    kind: &'static str,
    country: Option<&'static str>,
    aliases: Vec<String>,
    created_at: DateTime<Utc>,
    /// A short name for URLs (outlets).
    slug: String,
}

impl SeedActor {
    fn row(&self) -> Vec<Cell> {
        vec![
            self.id.into(),
            self.name.clone().into(),
            fold(&self.name).into(),
            "".into(),
            self.kind.into(),
            self.country.map(str::to_owned).into(),
            Option::<String>::None.into(),
            1i32.into(),
            self.created_at.into(),
            self.created_at.into(),
        ]
    }
}

fn coined_name(rng: &mut Rng) -> String {
    let syllables = 2 + rng.below(2);
    let mut name: String = (0..syllables).map(|_| *rng.pick(SYLLABLES)).collect();
    name.push_str(rng.pick::<&str>(STATE_ENDINGS));
    capitalized(&name)
}

fn generate_actor(index: u64, count: u64) -> SeedActor {
    let mut rng = Rng::of(TAG_ACTOR, index);
    let created_at = at(window_start() - 400 * 86_400 * 1_000_000 + index as i64 * 1_000_003);
    let country = Some(*rng.pick(COUNTRY_CODES));
    let (kind, name, country, aliases) = if index < count.min(240) {
        let name = format!("{} {}", coined_name(&mut rng), index);
        let aliases = if rng.chance(0.5) { vec![format!("Republic of {name}")] } else { vec![] };
        ("STATE", name, country, aliases)
    } else {
        let first = FIRST_NAMES[(index % FIRST_NAMES.len() as u64) as usize];
        let last = LAST_NAMES[((index / FIRST_NAMES.len() as u64) % LAST_NAMES.len() as u64) as usize];
        let initial = (b'A' + ((index / 2400) % 26) as u8) as char;
        match index % 20 {
            0..=10 => {
                let name = format!("{first} {initial}. {last}");
                let aliases = if rng.chance(0.2) { vec![format!("{} {last}", &first[..1])] } else { vec![] };
                ("PERSON", name, country, aliases)
            }
            11..=13 => (
                "GOVERNMENT_BODY",
                format!("{} of {} {}", rng.pick(MINISTRIES), coined_name(&mut rng), index),
                country,
                vec![],
            ),
            14..=16 => (
                "ORGANIZATION",
                format!("{} {} {} {}", rng.pick(ADJECTIVES), last, rng.pick(ORGANIZATION_WORDS), index),
                None,
                vec![],
            ),
            17..=18 => {
                let name =
                    format!("{} {} Brigades {}", rng.pick(ADJECTIVES), capitalized(rng.pick::<&str>(SYLLABLES)), index);
                let aliases = vec![format!("Brigades {index}")];
                ("ARMED_GROUP", name, country, aliases)
            }
            _ => (
                "INTERNATIONAL_ORGANIZATION",
                format!("{} Cooperation Organization {}", rng.pick(ADJECTIVES), index),
                None,
                vec![],
            ),
        }
    };
    SeedActor {
        index,
        id: seed_uuid(created_at, TAG_ACTOR, index, 0),
        name,
        kind,
        country,
        aliases,
        created_at,
        slug: String::new(),
    }
}

fn generate_outlet(index: u64) -> SeedActor {
    let mut rng = Rng::of(TAG_OUTLET, index);
    let created_at = at(window_start() - 300 * 86_400 * 1_000_000 + index as i64 * 1_000_003);
    let place = PLACES[(index % PLACES.len() as u64) as usize];
    let word = OUTLET_WORDS[((index / PLACES.len() as u64) % OUTLET_WORDS.len() as u64) as usize];
    let edition = index / (PLACES.len() * OUTLET_WORDS.len()) as u64;
    let name =
        if edition == 0 { format!("The {place} {word}") } else { format!("The {place} {word} ({})", edition + 1) };
    let slug = format!(
        "{}{}{}",
        place.to_lowercase(),
        word.to_lowercase(),
        if edition == 0 { String::new() } else { edition.to_string() }
    );
    SeedActor {
        index: 1_000_000_000 + index,
        id: seed_uuid(created_at, TAG_OUTLET, index, 0),
        aliases: if rng.chance(0.3) { vec![format!("{place} {word}")] } else { vec![] },
        name,
        kind: "MEDIA_OUTLET",
        country: Some(*rng.pick(COUNTRY_CODES)),
        created_at,
        slug,
    }
}

/// Everything facts refer to: accounts, actors, outlets and (computed on demand) sources.
struct World {
    editors: Vec<Uuid>,
    reviewers: Vec<Uuid>,
    actors: Vec<SeedActor>,
    outlets: Vec<SeedActor>,
    sources: u64,
}

impl World {
    fn generate(plan: &Plan, accounts: &Accounts) -> Self {
        Self {
            editors: accounts.editors.clone(),
            reviewers: accounts.reviewers.clone(),
            actors: (0..plan.actors).map(|i| generate_actor(i, plan.actors)).collect(),
            outlets: (0..plan.outlets).map(generate_outlet).collect(),
            sources: plan.sources,
        }
    }

    /// Source `j`, as the same `j` always gives it.
    fn source(&self, j: u64) -> SeedSource {
        let mut rng = Rng::of(TAG_SOURCE, j);
        let created = at(slot_start(j, self.sources) - 3 * slot_width(self.sources));
        let outlet = rng.skewed(self.outlets.len() as u64) as usize;
        let topic = rng.below(TOPICS.len() as u64) as usize;
        let sentences = if rng.chance(0.7) { 8 + rng.below(5) as usize } else { 0 };
        let kind = *rng.pick(&[
            "NEWS_ARTICLE",
            "NEWS_ARTICLE",
            "NEWS_ARTICLE",
            "NEWS_ARTICLE",
            "OFFICIAL_STATEMENT",
            "TRANSCRIPT",
            "INTERVIEW",
            "REPORT",
        ]);
        let www = rng.chance(0.3);
        let published_on = (created - Duration::days(1 + rng.below(3) as i64)).date_naive();
        SeedSource {
            index: j,
            id: seed_uuid(created, TAG_SOURCE, j, 0),
            outlet,
            topic,
            sentences,
            kind,
            www,
            published_on,
            created,
            editor: self.editors[(j % self.editors.len() as u64) as usize],
        }
    }
}

struct SeedSource {
    index: u64,
    id: Uuid,
    outlet: usize,
    topic: usize,
    /// How many sentences its snapshot holds; 0: no snapshot.
    sentences: usize,
    kind: &'static str,
    www: bool,
    published_on: NaiveDate,
    created: DateTime<Utc>,
    editor: Uuid,
}

impl SeedSource {
    /// Sentence `s` of the snapshot: distinct within one snapshot, mostly about its topic.
    fn sentence(&self, s: usize) -> String {
        let j = self.index as usize;
        let topic = if s % 3 == 2 { self.topic + 7 * s + j } else { self.topic };
        sentence(s, j + s, topic, s * 5 + j)
    }

    fn snapshot(&self) -> Option<String> {
        (self.sentences > 0).then(|| (0..self.sentences).map(|s| self.sentence(s)).collect::<Vec<_>>().join(" "))
    }

    /// Where sentence `s` sits in the snapshot, in characters (end exclusive). The text is
    /// ASCII and sentences are joined by one space, so lengths add up.
    fn location(&self, s: usize) -> (i32, i32) {
        let start: usize = (0..s).map(|k| self.sentence(k).len() + 1).sum();
        (start as i32, (start + self.sentence(s).len()) as i32)
    }

    fn url(&self, world: &World) -> String {
        let outlet = &world.outlets[self.outlet];
        let slug: String = TOPICS[self.topic]
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
            .collect();
        let host = if self.www { format!("www.{}.example", outlet.slug) } else { format!("{}.example", outlet.slug) };
        format!(
            "https://{host}/news/{}/{:02}/{slug}-{}",
            self.published_on.year(),
            self.published_on.month(),
            self.index
        )
    }

    fn row(&self, world: &World) -> Vec<Cell> {
        let url = self.url(world);
        let canonical = canonicalize_url(&url).unwrap_or_else(|_| url.clone());
        let snapshot = self.snapshot();
        let digest = snapshot.as_deref().map(sha256_hex);
        let outlet = &world.outlets[self.outlet];
        let title = format!("{}: {} report", capitalized(TOPICS[self.topic]), outlet.name);
        vec![
            self.id.into(),
            canonical.into(),
            url.into(),
            title.into(),
            self.kind.into(),
            Some(outlet.id).into(),
            Some(self.published_on).into(),
            Some("DAY".to_owned()).into(),
            self.created.into(),
            Some("en".to_owned()).into(),
            Option::<String>::None.into(),
            snapshot.into(),
            digest.into(),
            Some(self.editor).into(),
            1i32.into(),
            self.created.into(),
            self.created.into(),
        ]
    }
}

// ---------------------------------------------------------------------------------------------
// Facts
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Draft,
    InReview,
    Published,
    Retracted,
    /// Published, then superseded by the next fact, its correction.
    Superseded,
    /// A correction of the previous fact, published.
    Correction,
}

fn fate_of(i: u64, facts: u64, rng: &mut Rng) -> Fate {
    // One fact in a hundred is corrected by the one after it (both in one transaction: the
    // index is even and transactions hold an even number of facts).
    if i % 100 == 50 && i + 1 < facts {
        return Fate::Superseded;
    }
    if i % 100 == 51 {
        return Fate::Correction;
    }
    let u = rng.unit();
    match u {
        u if u < 0.90 => Fate::Published,
        u if u < 0.94 => Fate::Retracted,
        u if u < 0.97 => Fate::InReview,
        _ => Fate::Draft,
    }
}

struct Participant {
    actor: Uuid,
    role: &'static str,
    title: Option<String>,
}

struct Citation {
    id: Uuid,
    source: Uuid,
    quote: String,
    attribution: &'static str,
    attributed_to: Option<Uuid>,
    relayed_from: Option<Uuid>,
    location: Option<(i32, i32)>,
}

/// One fact's content, as an editor would have written it.
struct Content {
    /// Its place in the seed (a correction has the index after the fact it corrects).
    index: u64,
    created: DateTime<Utc>,
    id: Uuid,
    kind: String,
    summary: String,
    modality: &'static str,
    occurred_on: NaiveDate,
    precision: &'static str,
    occurred_until: Option<NaiveDate>,
    country: Option<String>,
    participants: Vec<Participant>,
    qualifiers: Vec<(String, String)>,
    citations: Vec<Citation>,
    supersedes: Option<Uuid>,
}

/// The parts of a fact's snapshots that its workflow leaves as they are, serialized.
struct Fragments {
    head: String,
    summary: String,
    supersedes: String,
}

/// A fact's state after one step of its workflow.
struct State<'a> {
    status: &'static str,
    version: i32,
    retraction_reason: Option<&'a str>,
    superseded_by: Option<Uuid>,
}

impl State<'_> {
    fn plain(status: &'static str, version: i32) -> Self {
        Self { status, version, retraction_reason: None, superseded_by: None }
    }
}

impl Content {
    /// What a fact's snapshots share, serialized once: every field but the four a workflow
    /// step changes (`retractionReason`, `status`, `supersededById`, `version`).
    fn fragments(&self) -> Fragments {
        let text = |value: serde_json::Value| value.to_string();
        let participants = self
            .participants
            .iter()
            .map(|p| json!({ "actorId": p.actor, "role": p.role, "title": p.title }))
            .collect::<Vec<_>>();
        let qualifiers =
            self.qualifiers.iter().map(|(key, value)| json!({ "key": key, "value": value })).collect::<Vec<_>>();
        let citations = self
            .citations
            .iter()
            .map(|c| {
                json!({
                    "sourceId": c.source,
                    "quote": c.quote,
                    "attribution": c.attribution,
                    "attributedToId": c.attributed_to,
                    "relayedFromId": c.relayed_from,
                    "verified": c.location.is_some(),
                    "quoteStart": c.location.map(|l| l.0),
                    "quoteEnd": c.location.map(|l| l.1),
                })
            })
            .collect::<Vec<_>>();
        // The keys in serde_json's order (sorted), as `json!` writes them.
        Fragments {
            head: format!(
                "{{\"citations\":{},\"country\":{},\"id\":{},\"kind\":{},\"modality\":{},\"occurredOn\":{},\
                 \"occurredPrecision\":{},\"occurredUntil\":{},\"participants\":{},\"qualifiers\":{},",
                text(json!(citations)),
                text(json!(self.country)),
                text(json!(self.id)),
                text(json!(self.kind)),
                text(json!(self.modality)),
                text(json!(self.occurred_on.to_string())),
                text(json!(self.precision)),
                text(json!(self.occurred_until.map(|d| d.to_string()))),
                text(json!(participants)),
                text(json!(qualifiers)),
            ),
            summary: text(json!(self.summary)),
            supersedes: text(json!(self.supersedes)),
        }
    }

    /// The revision snapshot, exactly as `fact::history::snapshot_fact` builds it.
    fn snapshot(&self, fragments: &Fragments, state: &State) -> String {
        let Fragments { head, summary, supersedes } = fragments;
        format!(
            "{head}\"retractionReason\":{},\"status\":{},\"summary\":{summary},\"supersededById\":{},\
             \"supersedesId\":{supersedes},\"version\":{}}}",
            json!(state.retraction_reason),
            json!(state.status),
            json!(state.superseded_by),
            state.version
        )
    }

    /// The revision snapshot as `fact::history::snapshot_fact` builds it (`json!`, whose object
    /// keys serde_json sorts); `snapshot` writes the same text faster.
    #[cfg(test)]
    fn snapshot_value(&self, state: &State) -> String {
        json!({
            "id": self.id,
            "kind": self.kind,
            "summary": self.summary,
            "modality": self.modality,
            "occurredOn": self.occurred_on.to_string(),
            "occurredPrecision": self.precision,
            "occurredUntil": self.occurred_until.map(|d| d.to_string()),
            "country": self.country,
            "status": state.status,
            "version": state.version,
            "retractionReason": state.retraction_reason,
            "supersedesId": self.supersedes,
            "supersededById": state.superseded_by,
            "participants": self.participants.iter().map(|p| json!({
                "actorId": p.actor, "role": p.role, "title": p.title,
            })).collect::<Vec<_>>(),
            "qualifiers": self.qualifiers.iter().map(|(key, value)| json!({ "key": key, "value": value })).collect::<Vec<_>>(),
            "citations": self.citations.iter().map(|c| json!({
                "sourceId": c.source,
                "quote": c.quote,
                "attribution": c.attribution,
                "attributedToId": c.attributed_to,
                "relayedFromId": c.relayed_from,
                "verified": c.location.is_some(),
                "quoteStart": c.location.map(|l| l.0),
                "quoteEnd": c.location.map(|l| l.1),
            })).collect::<Vec<_>>(),
        })
        .to_string()
    }

    /// The search document, exactly as `fact::store::refresh_search_document` builds it.
    fn search_document(&self) -> String {
        let mut document = self.summary.clone();
        for (_, value) in &self.qualifiers {
            document.push('\n');
            document.push_str(value);
        }
        for citation in &self.citations {
            document.push('\n');
            document.push_str(&citation.quote);
        }
        document
    }

    /// A step of its workflow, as the revision it appends.
    fn step(
        &self,
        fragments: &Fragments,
        action: &'static str,
        at: DateTime<Utc>,
        user: Uuid,
        comment: Option<&str>,
        state: State,
    ) -> Step {
        Step {
            fact: self.id,
            action,
            at,
            user,
            comment: comment.map(str::to_owned),
            snapshot: self.snapshot(fragments, &state),
            version: state.version,
        }
    }

    /// A correction of this fact, recorded as fact `index` at `created`: the same participants,
    /// qualifiers and evidence, the date a day later (or, where the date is a month or a year,
    /// the summary completed).
    fn correction(&self, index: u64, created: DateTime<Utc>) -> Content {
        let id = seed_uuid(created, TAG_FACT, index, 0);
        let (occurred_on, summary) = if self.precision == "DAY" && self.occurred_until.is_none() {
            (self.occurred_on + Duration::days(1), self.summary.clone())
        } else {
            (self.occurred_on, format!("{}, officials later confirmed", self.summary))
        };
        Content {
            index,
            created,
            id,
            kind: self.kind.clone(),
            summary,
            modality: self.modality,
            occurred_on,
            precision: self.precision,
            occurred_until: self.occurred_until,
            country: self.country.clone(),
            participants: self
                .participants
                .iter()
                .map(|p| Participant { actor: p.actor, role: p.role, title: p.title.clone() })
                .collect(),
            qualifiers: self.qualifiers.clone(),
            citations: self
                .citations
                .iter()
                .enumerate()
                .map(|(n, c)| Citation {
                    id: seed_uuid(created, TAG_CITATION, index, n as u64),
                    source: c.source,
                    quote: c.quote.clone(),
                    attribution: c.attribution,
                    attributed_to: c.attributed_to,
                    relayed_from: c.relayed_from,
                    location: c.location,
                })
                .collect(),
            supersedes: Some(self.id),
        }
    }
}

/// Draws fact `i`'s content.
fn content(i: u64, plan: &Plan, world: &World, kinds: &[Kind], created: DateTime<Utc>) -> Content {
    let mut rng = Rng::of(TAG_FACT, i);
    let total_weight: u64 = kinds.iter().map(|k| k.weight as u64).sum();
    let mut ticket = rng.below(total_weight);
    let mut kind = &kinds[0];
    for candidate in kinds {
        if ticket < candidate.weight as u64 {
            kind = candidate;
            break;
        }
        ticket -= candidate.weight as u64;
    }

    // Participants: Russia in ~13 % of facts, Syria in ~8 %, both in ~3 %.
    let count = 2 + rng.below(2) as usize;
    let mut actors: Vec<(Uuid, &str, Option<&'static str>, bool)> = Vec::with_capacity(3);
    let russia = rng.chance(0.13);
    let syria = if russia { rng.chance(0.23) } else { rng.chance(0.0575) };
    if russia {
        actors.push((RUSSIA, "Russia", Some("RU"), false));
    }
    if syria {
        actors.push((SYRIA, "Syria", Some("SY"), false));
    }
    while actors.len() < count {
        let actor = &world.actors[rng.skewed(world.actors.len() as u64) as usize];
        if actors.iter().all(|(id, ..)| *id != actor.id) {
            actors.push((actor.id, actor.name.as_str(), actor.country, actor.kind == "PERSON"));
        }
    }
    if rng.chance(0.5) {
        actors.swap(0, 1);
    }
    let roles = roles_for(kind, count);
    let participants: Vec<Participant> = actors
        .iter()
        .zip(&roles)
        .map(|((actor, _, _, person), role)| Participant {
            actor: *actor,
            role,
            title: (*person && rng.chance(0.6)).then(|| rng.pick(TITLES).to_string()),
        })
        .collect();

    let topic = rng.below(TOPICS.len() as u64) as usize;
    let place = *rng.pick(PLACES);
    let summary = match kind.template {
        Some(template) => template
            .replace("{S}", actors[0].1)
            .replace("{O}", actors[1].1)
            .replace("{T}", TOPICS[topic])
            .replace("{P}", place),
        None => format!("{} and {}: {} concerning {}", actors[0].1, actors[1].1, kind.label, TOPICS[topic]),
    };
    let modality = *rng.pick(&[
        "OCCURRED",
        "OCCURRED",
        "OCCURRED",
        "OCCURRED",
        "STATED",
        "STATED",
        "INTENDED",
        "CONDITIONAL",
        "DENIED",
    ]);

    // When it happened: mostly shortly before it was recorded.
    let u = rng.unit();
    let day = (created - Duration::days((400.0 * u * u * u) as i64)).date_naive();
    let p = rng.unit();
    let (occurred_on, precision) = if p < 0.80 {
        (day, "DAY")
    } else if p < 0.95 {
        (day.with_day(1).unwrap_or(day), "MONTH")
    } else {
        (NaiveDate::from_ymd_opt(day.year(), 1, 1).unwrap_or(day), "YEAR")
    };
    let occurred_until = (precision == "DAY" && rng.chance(0.05))
        .then(|| occurred_on + Duration::days(1 + rng.below(6) as i64))
        .filter(|until| *until <= created.date_naive());
    let country = match rng.chance(0.85) {
        true => Some(actors[0].2.unwrap_or_else(|| *rng.pick(COUNTRY_CODES)).to_owned()),
        false => None,
    };

    // Qualifiers: the kind's required ones, and up to two in all.
    let wanted = *rng.pick(&[0usize, 0, 0, 1, 1, 1, 1, 2, 2, 2]);
    let mut keys: Vec<String> = kind.required_qualifiers.clone();
    let mut tries = 0;
    while keys.len() < wanted && tries < 8 && !kind.allowed_qualifiers.is_empty() {
        let key = rng.pick(&kind.allowed_qualifiers).clone();
        if !keys.contains(&key) {
            keys.push(key);
        }
        tries += 1;
    }
    let qualifiers: Vec<(String, String)> = keys
        .into_iter()
        .map(|key| {
            let value = qualifier_value(&key, &mut rng, TOPICS[topic], place);
            (key, value)
        })
        .collect();

    // Citations: 1–3 distinct sources (published before the fact was recorded, mostly recent
    // ones), quotes verbatim from their snapshots where they have one.
    let available = (3 + i * world.sources / plan.facts).min(world.sources);
    let wanted = (1 + rng.below(3)).min(available) as usize;
    let mut sources: Vec<u64> = Vec::with_capacity(wanted);
    while sources.len() < wanted {
        let j = if rng.chance(0.7) { available - 1 - rng.below(available.min(25)) } else { rng.below(available) };
        if !sources.contains(&j) {
            sources.push(j);
        }
    }
    let citations = sources
        .iter()
        .enumerate()
        .map(|(n, j)| {
            let source = world.source(*j);
            let (quote, location) = if source.sentences > 0 {
                let s = rng.below(source.sentences as u64) as usize;
                (source.sentence(s), Some(source.location(s)))
            } else {
                let opener = rng.below(OPENERS.len() as u64) as usize;
                (sentence(opener, rng.next() as usize, topic, rng.next() as usize), None)
            };
            let relayed = rng.chance(0.2);
            let relayed_from = relayed.then(|| {
                let others = world.outlets.len() as u64 - 1;
                world.outlets[(source.outlet + 1 + rng.below(others) as usize) % world.outlets.len()].id
            });
            Citation {
                id: seed_uuid(created, TAG_CITATION, i, n as u64),
                source: source.id,
                quote,
                attribution: if relayed { "RELAYED" } else { "DIRECT" },
                attributed_to: rng.chance(0.6).then(|| actors[0].0),
                relayed_from,
                location,
            }
        })
        .collect();

    Content {
        index: i,
        created,
        id: seed_uuid(created, TAG_FACT, i, 0),
        kind: kind.key.clone(),
        summary,
        modality,
        occurred_on,
        precision,
        occurred_until,
        country,
        participants,
        qualifiers,
        citations,
        supersedes: None,
    }
}

/// The roles of a fact's participants, from those its kind allows.
fn roles_for(kind: &Kind, count: usize) -> Vec<&'static str> {
    let has = |role: &str| kind.roles.contains(&role);
    if kind.symmetric && has("PARTICIPANT") {
        return vec!["PARTICIPANT"; count];
    }
    let first = if has("SUBJECT") { "SUBJECT" } else { kind.roles[0] };
    let second = if has("OBJECT") { "OBJECT" } else { kind.roles[kind.roles.len() - 1] };
    let third = ["SPEAKER", "MEDIATOR", "PARTICIPANT"].into_iter().find(|role| has(role)).unwrap_or(first);
    [first, second, third].into_iter().take(count).collect()
}

/// One revision as the workflow appends it, before it is chained.
struct Step {
    /// The fact it records (a correction's approval also records the fact it supersedes).
    fact: Uuid,
    action: &'static str,
    at: DateTime<Utc>,
    user: Uuid,
    comment: Option<String>,
    snapshot: String,
    version: i32,
}

/// A fact's row as it ends: what the workflow left besides the content.
struct Ending {
    status: &'static str,
    version: i32,
    editor: Uuid,
    reviewed_by: Option<Uuid>,
    updated: DateTime<Utc>,
    published: Option<DateTime<Utc>>,
    retracted: Option<(DateTime<Utc>, &'static str)>,
    superseded_by: Option<Uuid>,
}

fn fact_values(content: &Content, end: &Ending) -> Vec<Cell> {
    vec![
        content.id.into(),
        content.kind.clone().into(),
        content.summary.clone().into(),
        content.modality.into(),
        content.occurred_on.into(),
        content.precision.into(),
        content.occurred_until.into(),
        content.country.clone().into(),
        end.status.into(),
        end.version.into(),
        end.editor.into(),
        end.editor.into(),
        end.reviewed_by.into(),
        content.created.into(),
        end.updated.into(),
        end.published.into(),
        end.retracted.map(|(at, _)| at).into(),
        end.retracted.map(|(_, reason)| reason.to_owned()).into(),
        content.supersedes.into(),
        end.superseded_by.into(),
    ]
}

/// A fact written: its content, its row, and the revisions that led there.
struct Written {
    content: Content,
    row: Vec<Cell>,
    steps: Vec<Step>,
    /// For a correction: the UPDATE that turns the fact it corrects SUPERSEDED.
    supersedes: Option<Vec<Cell>>,
}

/// The times of fact `i`'s workflow steps, within its slot of the window.
struct Times {
    created: DateTime<Utc>,
    submitted: DateTime<Utc>,
    approved: DateTime<Utc>,
    retracted: DateTime<Utc>,
}

fn times(i: u64, facts: u64) -> Times {
    let start = slot_start(i, facts);
    let width = slot_width(facts);
    let even = |eighths: i64| (width * eighths / 8) & !1;
    Times {
        created: at(start),
        submitted: at(start + even(2)),
        approved: at(start + even(4)),
        retracted: at(start + even(6)),
    }
}

/// Fact `i` (and, for a superseded fact, its correction `i + 1`), as the workflow would have
/// left them.
fn write_fact(i: u64, plan: &Plan, world: &World, kinds: &[Kind], out: &mut Vec<Written>) {
    let mut rng = Rng::of(TAG_FACT ^ 0xFA7E, i);
    let fate = fate_of(i, plan.facts, &mut rng);
    if fate == Fate::Correction {
        return; // written with the fact it corrects
    }
    let t = times(i, plan.facts);
    let editor_index = rng.below(world.editors.len() as u64) as usize;
    let reviewer_index = rng.below(world.reviewers.len() as u64) as usize;
    let (editor, reviewer) = (world.editors[editor_index], world.reviewers[reviewer_index]);
    let content = content(i, plan, world, kinds, t.created);
    let parts = content.fragments();
    let mut steps = vec![content.step(&parts, "CREATED", t.created, editor, None, State::plain("DRAFT", 1))];
    if fate != Fate::Draft {
        steps.push(content.step(&parts, "SUBMITTED", t.submitted, editor, None, State::plain("IN_REVIEW", 2)));
    }
    if !matches!(fate, Fate::Draft | Fate::InReview) {
        steps.push(content.step(&parts, "APPROVED", t.approved, reviewer, None, State::plain("PUBLISHED", 3)));
    }
    let mut end = Ending {
        status: "PUBLISHED",
        version: 3,
        editor,
        reviewed_by: Some(reviewer),
        updated: t.approved,
        published: Some(t.approved),
        retracted: None,
        superseded_by: None,
    };
    match fate {
        Fate::Draft => {
            end = Ending { status: "DRAFT", version: 1, reviewed_by: None, updated: t.created, published: None, ..end }
        }
        Fate::InReview => {
            end = Ending {
                status: "IN_REVIEW",
                version: 2,
                reviewed_by: None,
                updated: t.submitted,
                published: None,
                ..end
            }
        }
        Fate::Retracted => {
            let reason = *rng.pick(RETRACTION_REASONS);
            let state = State { retraction_reason: Some(reason), ..State::plain("RETRACTED", 4) };
            steps.push(content.step(&parts, "RETRACTED", t.retracted, reviewer, Some(reason), state));
            end = Ending {
                status: "RETRACTED",
                version: 4,
                updated: t.retracted,
                retracted: Some((t.retracted, reason)),
                ..end
            };
        }
        Fate::Published | Fate::Correction => {}
        Fate::Superseded => {
            // Its correction, by another editor, approved by another reviewer: approving it
            // turns the original SUPERSEDED and appends that revision before its own APPROVED,
            // as `store::take_step` does.
            let c = times(i + 1, plan.facts);
            let correction = content.correction(i + 1, c.created);
            let fixed = correction.fragments();
            let fixer = world.editors[(editor_index + 1) % world.editors.len()];
            let approver = world.reviewers[(reviewer_index + 1) % world.reviewers.len()];
            let superseded_at = at(c.approved.timestamp_micros() + 2);
            let superseded = State { superseded_by: Some(correction.id), ..State::plain("SUPERSEDED", 4) };
            let correction_steps = vec![
                correction.step(&fixed, "CREATED", c.created, fixer, None, State::plain("DRAFT", 1)),
                correction.step(&fixed, "SUBMITTED", c.submitted, fixer, None, State::plain("IN_REVIEW", 2)),
                content.step(&parts, "SUPERSEDED", superseded_at, approver, None, superseded),
                correction.step(
                    &fixed,
                    "APPROVED",
                    at(superseded_at.timestamp_micros() + 2),
                    approver,
                    None,
                    State::plain("PUBLISHED", 3),
                ),
            ];
            let corrected = Ending {
                editor: fixer,
                reviewed_by: Some(approver),
                updated: c.approved,
                published: Some(c.approved),
                ..end
            };
            // The two name each other. They are written as the workflow wrote them: the original
            // published, then its correction, then the UPDATE that supersedes the original. (Rows
            // that name each other in one INSERT would leave a foreign key unsatisfied until the
            // second row, and SQLite searches the referencing tables for every row inserted while
            // one is: with no index on `superseded_by_id`, a scan of all facts.)
            let supersede = vec![superseded_at.into(), correction.id.into(), content.id.into()];
            let row = fact_values(&content, &end);
            out.push(Written { content, row, steps, supersedes: None });
            let row = fact_values(&correction, &corrected);
            out.push(Written { content: correction, row, steps: correction_steps, supersedes: Some(supersede) });
            return;
        }
    }
    let row = fact_values(&content, &end);
    out.push(Written { content, row, steps, supersedes: None });
}

// ---------------------------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------------------------

/// One value of a row, of a type the entities use; sqlx encodes it as it encodes the entities'
/// values (a UUID as a blob on SQLite, a time as RFC 3339 text, …), so what is stored is what
/// the application would have stored.
#[derive(Debug, Clone)]
enum Cell {
    Uuid(Option<Uuid>),
    Text(Option<String>),
    Int(Option<i32>),
    Big(i64),
    Bool(bool),
    Date(Option<NaiveDate>),
    Time(Option<DateTime<Utc>>),
}

macro_rules! cells {
    ($($variant:ident: $type:ty),*) => {$(
        impl From<$type> for Cell {
            fn from(value: $type) -> Self {
                Cell::$variant(Some(value))
            }
        }
        impl From<Option<$type>> for Cell {
            fn from(value: Option<$type>) -> Self {
                Cell::$variant(value)
            }
        }
    )*};
}
cells!(Uuid: Uuid, Text: String, Int: i32, Date: NaiveDate, Time: DateTime<Utc>);

impl From<&'static str> for Cell {
    fn from(value: &'static str) -> Self {
        Cell::Text(Some(value.to_owned()))
    }
}

impl From<i64> for Cell {
    fn from(value: i64) -> Self {
        Cell::Big(value)
    }
}

impl From<bool> for Cell {
    fn from(value: bool) -> Self {
        Cell::Bool(value)
    }
}

/// Bound values, encoded for one backend when the batch is built (off the writer's path).
enum Args {
    Postgres(PgArguments),
    Sqlite(SqliteArguments),
}

impl Args {
    fn new(backend: DatabaseBackend) -> Self {
        match backend {
            DatabaseBackend::Postgres => Args::Postgres(PgArguments::default()),
            _ => Args::Sqlite(SqliteArguments::default()),
        }
    }

    fn add(&mut self, cell: Cell) -> anyhow::Result<()> {
        fn add<A: sqlx::Arguments>(args: &mut A, cell: Cell) -> Result<(), sqlx::error::BoxDynError>
        where
            Option<Uuid>: for<'q> sqlx::Encode<'q, A::Database> + sqlx::Type<A::Database>,
            Option<String>: for<'q> sqlx::Encode<'q, A::Database> + sqlx::Type<A::Database>,
            Option<i32>: for<'q> sqlx::Encode<'q, A::Database> + sqlx::Type<A::Database>,
            i64: for<'q> sqlx::Encode<'q, A::Database> + sqlx::Type<A::Database>,
            bool: for<'q> sqlx::Encode<'q, A::Database> + sqlx::Type<A::Database>,
            Option<NaiveDate>: for<'q> sqlx::Encode<'q, A::Database> + sqlx::Type<A::Database>,
            Option<DateTime<Utc>>: for<'q> sqlx::Encode<'q, A::Database> + sqlx::Type<A::Database>,
        {
            match cell {
                Cell::Uuid(v) => args.add(v),
                Cell::Text(v) => args.add(v),
                Cell::Int(v) => args.add(v),
                Cell::Big(v) => args.add(v),
                Cell::Bool(v) => args.add(v),
                Cell::Date(v) => args.add(v),
                Cell::Time(v) => args.add(v),
            }
        }
        match self {
            Args::Postgres(args) => add(args, cell),
            Args::Sqlite(args) => add(args, cell),
        }
        .map_err(|e| anyhow::anyhow!("encoding a value: {e}"))
    }
}

/// One multi-row INSERT, ready to run.
struct Batch {
    sql: std::sync::Arc<str>,
    args: Args,
}

/// Rows waiting for a multi-row INSERT into one table.
struct Table {
    name: &'static str,
    columns: &'static [&'static str],
    rows_per_statement: usize,
    pending: Vec<Vec<Cell>>,
    total: u64,
    sql: HashMap<usize, std::sync::Arc<str>>,
}

impl Table {
    fn new(name: &'static str, columns: &'static [&'static str], cap: usize) -> Self {
        let rows_per_statement = cap.min(MAX_BOUND_VALUES / columns.len()).max(1);
        Self { name, columns, rows_per_statement, pending: Vec::new(), total: 0, sql: HashMap::new() }
    }

    fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len(), "{}", self.name);
        self.pending.push(row);
        self.total += 1;
    }

    /// INSERTs of the full batches pending (every row when `all`), in order: statements of one
    /// size are prepared once per connection.
    fn drain(&mut self, backend: DatabaseBackend, all: bool, out: &mut Vec<Batch>) {
        while self.pending.len() >= self.rows_per_statement || (all && !self.pending.is_empty()) {
            let take = self.pending.len().min(self.rows_per_statement);
            let (name, columns) = (self.name, self.columns);
            let sql = self.sql.entry(take).or_insert_with(|| insert_sql(backend, name, columns, take).into()).clone();
            let mut args = Args::new(backend);
            for cell in self.pending.drain(..take).flatten() {
                // Only values of the types listed can be built, and each encodes.
                args.add(cell).expect("a seeded value encodes");
            }
            out.push(Batch { sql, args });
        }
    }
}

/// `INSERT INTO t (c, …) VALUES ($1, …), …` with `rows` rows of placeholders.
fn insert_sql(backend: DatabaseBackend, table: &str, columns: &[&str], rows: usize) -> String {
    let mut sql = format!(
        "INSERT INTO \"{table}\" ({}) VALUES ",
        columns.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ")
    );
    let mut n = 0;
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..columns.len() {
            if column > 0 {
                sql.push_str(", ");
            }
            n += 1;
            match backend {
                DatabaseBackend::Postgres => sql.push_str(&format!("${n}")),
                _ => sql.push('?'),
            }
        }
        sql.push(')');
    }
    sql
}

const USER_COLUMNS: &[&str] =
    &["id", "email", "display_name", "role", "password_hash", "active", "token_version", "created_at", "updated_at"];
const ACTOR_COLUMNS: &[&str] = &[
    "id",
    "name",
    "name_folded",
    "description",
    "kind",
    "country",
    "wikidata_qid",
    "version",
    "created_at",
    "updated_at",
];
const ALIAS_COLUMNS: &[&str] = &["id", "actor_id", "alias", "alias_folded"];
const SOURCE_COLUMNS: &[&str] = &[
    "id",
    "canonical_url",
    "url",
    "title",
    "kind",
    "outlet_id",
    "published_on",
    "published_precision",
    "retrieved_at",
    "language",
    "archive_url",
    "snapshot",
    "snapshot_sha256",
    "created_by",
    "version",
    "created_at",
    "updated_at",
];
const FACT_COLUMNS: &[&str] = &[
    "id",
    "kind_key",
    "summary",
    "modality",
    "occurred_on",
    "occurred_precision",
    "occurred_until",
    "country",
    "status",
    "version",
    "created_by",
    "last_edited_by",
    "reviewed_by",
    "created_at",
    "updated_at",
    "published_at",
    "retracted_at",
    "retraction_reason",
    "supersedes_id",
    "superseded_by_id",
];
const PARTICIPANT_COLUMNS: &[&str] = &["id", "fact_id", "actor_id", "role", "title", "position"];
const QUALIFIER_COLUMNS: &[&str] = &["id", "fact_id", "key", "value", "position"];
const CITATION_COLUMNS: &[&str] = &[
    "id",
    "fact_id",
    "source_id",
    "quote",
    "quote_sha256",
    "attributed_to_id",
    "attribution",
    "relayed_from_id",
    "verified",
    "quote_start",
    "quote_end",
    "position",
    "status",
];
const SEARCH_COLUMNS: &[&str] = &["fact_id", "document"];
const REVISION_COLUMNS: &[&str] = &[
    "id",
    "seq",
    "subject",
    "fact_id",
    "fact_version",
    "action",
    "actor_id",
    "comment",
    "snapshot",
    "created_at",
    "prev_hash",
    "hash",
];

/// Every table the seed writes, in the order their rows must be inserted.
struct Tables {
    backend: DatabaseBackend,
    users: Table,
    actors: Table,
    aliases: Table,
    sources: Table,
    facts: Table,
    participants: Table,
    qualifiers: Table,
    citations: Table,
    search: Table,
}

impl Tables {
    fn new(backend: DatabaseBackend, plan: &Plan) -> Self {
        let cap = plan.rows_per_statement;
        Self {
            backend,
            users: Table::new("users", USER_COLUMNS, cap),
            actors: Table::new("actors", ACTOR_COLUMNS, cap),
            aliases: Table::new("actor_aliases", ALIAS_COLUMNS, cap),
            sources: Table::new("sources", SOURCE_COLUMNS, cap.min(1_000)),
            facts: Table::new("facts", FACT_COLUMNS, plan.facts_per_transaction as usize),
            participants: Table::new("fact_participants", PARTICIPANT_COLUMNS, cap),
            qualifiers: Table::new("fact_qualifiers", QUALIFIER_COLUMNS, cap),
            citations: Table::new("citations", CITATION_COLUMNS, cap),
            search: Table::new("fact_search_documents", SEARCH_COLUMNS, cap),
        }
    }

    /// The statements for the rows pending: the shared records all, the parts of facts in
    /// full batches only (the rest waits for the next batch) unless `all`. Facts are drained on
    /// their own, into the transaction that appends their revisions.
    fn drain(&mut self, all: bool) -> Vec<Batch> {
        let mut out = Vec::new();
        let backend = self.backend;
        self.users.drain(backend, true, &mut out);
        self.actors.drain(backend, true, &mut out);
        self.aliases.drain(backend, true, &mut out);
        self.sources.drain(backend, true, &mut out);
        for table in [&mut self.participants, &mut self.qualifiers, &mut self.citations, &mut self.search] {
            table.drain(backend, all, &mut out);
        }
        out
    }
}

fn revision_row(row: &revision::Model) -> Vec<Cell> {
    vec![
        row.id.into(),
        row.seq.into(),
        row.subject.clone().into(),
        row.fact_id.into(),
        row.fact_version.into(),
        row.action.clone().into(),
        row.actor_id.into(),
        row.comment.clone().into(),
        row.snapshot.clone().into(),
        row.created_at.into(),
        row.prev_hash.clone().into(),
        row.hash.clone().into(),
    ]
}

/// The UPDATE that turns a fact SUPERSEDED once its correction is written, as approving the
/// correction does (`store::take_step`): values (time, correction, original).
fn supersede_batch(backend: DatabaseBackend, values: Vec<Cell>) -> Batch {
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "UPDATE facts SET status = 'SUPERSEDED', version = 4, updated_at = $1, superseded_by_id = $2 WHERE id = $3"
        }
        _ => "UPDATE facts SET status = 'SUPERSEDED', version = 4, updated_at = ?, superseded_by_id = ? WHERE id = ?",
    };
    let mut args = Args::new(backend);
    for cell in values {
        args.add(cell).expect("a seeded value encodes");
    }
    Batch { sql: sql.into(), args }
}

/// The work of one batch of facts: the facts with the revisions that record them, then (once
/// those are committed) their parts: participants, qualifiers, citations, search documents.
/// The two halves lock no row in common (the facts and revisions name accounts and kinds, the
/// parts name facts, actors and sources), so they can be written at once on two connections.
struct Unit {
    /// The facts, and the UPDATEs that supersede those their corrections replace.
    facts: Vec<Batch>,
    chained: Chained,
    parts: Parts,
}

/// The revisions a batch appends, chained after `revisions[0].prev_hash`, and their INSERTs.
struct Chained {
    revisions: Vec<revision::Model>,
    revision_statements: Vec<Batch>,
}

/// The rows that name a batch's facts.
struct Parts {
    /// Facts complete once these are committed.
    facts_after: u64,
    statements: Vec<Batch>,
    participants: u64,
    qualifiers: u64,
    citations: u64,
}

/// Computes every fact's rows and revisions, chained after `head`, and sends them one
/// transaction at a time.
fn generate_facts(
    plan: &Plan,
    world: &World,
    kinds: &[Kind],
    head: revision_chain::Model,
    sender: tokio::sync::mpsc::Sender<Unit>,
) -> anyhow::Result<()> {
    let backend = plan.backend;
    let mut tables = Tables::new(backend, plan);
    let mut revisions = Table::new("revisions", REVISION_COLUMNS, plan.revisions_per_statement);
    let mut chained: Vec<revision::Model> = Vec::new();
    let (mut length, mut head_hash) = (head.length, head.head_hash);
    let mut written = Vec::new();
    let mut supersessions = Vec::new();
    let mut start = 0;
    while start < plan.facts {
        let end = (start + plan.facts_per_transaction).min(plan.facts);
        let before = (tables.participants.total, tables.qualifiers.total, tables.citations.total);
        for i in start..end {
            write_fact(i, plan, world, kinds, &mut written);
        }
        for Written { content, row, steps, supersedes } in written.drain(..) {
            tables.facts.push(row);
            if let Some(update) = supersedes {
                supersessions.push(update);
            }
            let (created, index) = (content.created, content.index);
            for (n, p) in content.participants.iter().enumerate() {
                tables.participants.push(vec![
                    seed_uuid(created, TAG_PARTICIPANT, index, n as u64).into(),
                    content.id.into(),
                    p.actor.into(),
                    p.role.into(),
                    p.title.clone().into(),
                    (n as i32).into(),
                ]);
            }
            for (n, (key, value)) in content.qualifiers.iter().enumerate() {
                tables.qualifiers.push(vec![
                    seed_uuid(created, TAG_QUALIFIER, index, n as u64).into(),
                    content.id.into(),
                    key.clone().into(),
                    value.clone().into(),
                    (n as i32).into(),
                ]);
            }
            for (n, c) in content.citations.iter().enumerate() {
                tables.citations.push(vec![
                    c.id.into(),
                    content.id.into(),
                    c.source.into(),
                    c.quote.clone().into(),
                    quote_digest(&c.quote).into(),
                    c.attributed_to.into(),
                    c.attribution.into(),
                    c.relayed_from.into(),
                    c.location.is_some().into(),
                    c.location.map(|l| l.0).into(),
                    c.location.map(|l| l.1).into(),
                    (n as i32).into(),
                    "ACTIVE".into(),
                ]);
            }
            tables.search.push(vec![content.id.into(), content.search_document().into()]);
            for (n, step) in steps.into_iter().enumerate() {
                let mut row = revision::Model {
                    id: seed_uuid(step.at, TAG_REVISION, index, n as u64),
                    seq: length + 1,
                    subject: "FACT".to_owned(),
                    fact_id: step.fact,
                    fact_version: step.version,
                    action: step.action.to_owned(),
                    actor_id: Some(step.user),
                    comment: step.comment,
                    snapshot: step.snapshot,
                    created_at: step.at,
                    prev_hash: head_hash.clone(),
                    hash: String::new(),
                };
                row.hash = chain_hash(&head_hash, &row);
                length = row.seq;
                head_hash = row.hash.clone();
                revisions.push(revision_row(&row));
                chained.push(row);
            }
        }
        let last = end == plan.facts;
        let mut facts = Vec::new();
        tables.facts.drain(backend, true, &mut facts);
        for update in supersessions.drain(..) {
            facts.push(supersede_batch(backend, update));
        }
        let mut revision_statements = Vec::new();
        revisions.drain(backend, last, &mut revision_statements);
        let appended = chained.len() - revisions.pending.len();
        let unit = Unit {
            facts,
            chained: Chained { revisions: chained.drain(..appended).collect(), revision_statements },
            parts: Parts {
                facts_after: end,
                statements: tables.drain(last),
                participants: tables.participants.total - before.0,
                qualifiers: tables.qualifiers.total - before.1,
                citations: tables.citations.total - before.2,
            },
        };
        if sender.blocking_send(unit).is_err() {
            return Ok(()); // the writer stopped; it reports why
        }
        start = end;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/// One of the pool's connections, held for a whole stream of transactions: SQLite empties a
/// connection's page cache whenever another connection has written, so alternating between
/// pooled connections would start every transaction cold.
enum Conn {
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
}

impl Conn {
    async fn acquire(db: &DatabaseConnection) -> anyhow::Result<Self> {
        Ok(match db.get_database_backend() {
            DatabaseBackend::Postgres => Conn::Postgres(db.get_postgres_connection_pool().acquire().await?),
            _ => {
                let mut conn = db.get_sqlite_connection_pool().acquire().await?;
                // 2 MB of page cache (the default) is soon outgrown by the indexes; and as on
                // Postgres, a crash may lose the last commits of a seed (WAL keeps the file
                // consistent). This connection's settings only. The temporary table and trigger
                // step the chain head (see `Writer::step_head`); this connection's own too.
                sqlx::raw_sql(
                    "PRAGMA cache_size = -262144; PRAGMA synchronous = NORMAL; \
                     CREATE TEMP TABLE IF NOT EXISTS chancery_seed_steps (seq INTEGER NOT NULL, hash TEXT NOT NULL); \
                     CREATE TEMP TRIGGER IF NOT EXISTS chancery_seed_step AFTER INSERT ON chancery_seed_steps BEGIN \
                     UPDATE revision_chain SET length = new.seq, head_hash = new.hash WHERE id = 1; END",
                )
                .execute(&mut *conn)
                .await?;
                Conn::Sqlite(conn)
            }
        })
    }

    /// A transaction on this connection, driven through sqlx directly: the batches arrive with
    /// their values already encoded.
    async fn begin(&mut self) -> anyhow::Result<Txn<'_>> {
        use sqlx::Connection as _;
        Ok(match self {
            Conn::Postgres(conn) => {
                let mut txn = Txn::Postgres(conn.begin().await?);
                // Losing the last commits in a crash costs a re-seed, nothing more; a statement of
                // a bulk load may run longer than the server's per-request limit.
                txn.execute("SET LOCAL synchronous_commit = off; SET LOCAL statement_timeout = 0").await?;
                txn
            }
            Conn::Sqlite(conn) => Txn::Sqlite(conn.begin().await?),
        })
    }

    /// Drops what `acquire` created on a SQLite connection before it goes back to the pool.
    async fn release(self) -> anyhow::Result<()> {
        if let Conn::Sqlite(mut conn) = self {
            sqlx::raw_sql(
                "DROP TRIGGER IF EXISTS temp.chancery_seed_step; DROP TABLE IF EXISTS temp.chancery_seed_steps; \
                 PRAGMA cache_size = -2000; PRAGMA synchronous = FULL",
            )
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

enum Txn<'c> {
    Postgres(sqlx::Transaction<'c, sqlx::Postgres>),
    Sqlite(sqlx::Transaction<'c, sqlx::Sqlite>),
}

impl Txn<'_> {
    async fn run(&mut self, batch: Batch) -> anyhow::Result<()> {
        match (self, batch.args) {
            (Txn::Postgres(txn), Args::Postgres(args)) => {
                sqlx::query_with(AssertSqlSafe(batch.sql), args).execute(&mut **txn).await?;
            }
            (Txn::Sqlite(txn), Args::Sqlite(args)) => {
                sqlx::query_with(AssertSqlSafe(batch.sql), args).execute(&mut **txn).await?;
            }
            _ => bail!("a statement was built for the other backend"),
        }
        Ok(())
    }

    /// Runs SQL without parameters (the simple protocol: no statement is kept prepared).
    async fn execute(&mut self, sql: &str) -> anyhow::Result<()> {
        let sql = AssertSqlSafe(sql.to_owned());
        match self {
            Txn::Postgres(txn) => sqlx::raw_sql(sql).execute(&mut **txn).await.map(drop)?,
            Txn::Sqlite(txn) => sqlx::raw_sql(sql).execute(&mut **txn).await.map(drop)?,
        }
        Ok(())
    }

    /// The chain head: (length, hash).
    async fn head(&mut self) -> anyhow::Result<(i64, String)> {
        const HEAD: &str = "SELECT length, head_hash FROM revision_chain WHERE id = 1";
        Ok(match self {
            Txn::Postgres(txn) => sqlx::query_as(HEAD).fetch_one(&mut **txn).await?,
            Txn::Sqlite(txn) => sqlx::query_as(HEAD).fetch_one(&mut **txn).await?,
        })
    }

    async fn commit(self) -> anyhow::Result<()> {
        match self {
            Txn::Postgres(txn) => txn.commit().await?,
            Txn::Sqlite(txn) => txn.commit().await?,
        }
        Ok(())
    }
}

struct Writer<'a> {
    db: &'a DatabaseConnection,
    backend: DatabaseBackend,
    plan: &'a Plan,
}

/// When to say how far the seed got: every tenth of the facts, and every 15 s.
struct Progress {
    started: Instant,
    next: f64,
    printed: Instant,
}

impl Progress {
    fn committed(&mut self, facts: u64, of: u64, revisions: u64) {
        let done = facts as f64 / of as f64;
        if done >= self.next || self.printed.elapsed().as_secs() >= 15 {
            println!(
                "seed: {facts}/{of} facts ({:.0} %), {revisions} revisions, {:.1} s",
                done * 100.0,
                self.started.elapsed().as_secs_f64()
            );
            while self.next <= done {
                self.next += 0.1;
            }
            self.printed = Instant::now();
        }
    }
}

impl Writer<'_> {
    /// Each batch in one transaction, on one connection (SQLite has one writer).
    async fn one_stream(
        &self,
        mut units: tokio::sync::mpsc::Receiver<Unit>,
        report: &mut SeedReport,
        progress: &mut Progress,
    ) -> anyhow::Result<()> {
        let mut conn = Conn::acquire(self.db).await?;
        while let Some(mut unit) = units.recv().await {
            let mut txn = conn.begin().await?;
            for batch in unit.facts.into_iter().chain(std::mem::take(&mut unit.parts.statements)) {
                txn.run(batch).await?;
            }
            report.revisions += self.append(&mut txn, unit.chained).await?;
            txn.commit().await?;
            self.completed(report, progress, &unit.parts);
        }
        conn.release().await
    }

    /// Facts and their revisions on one connection; their parts, once the facts are committed,
    /// on another.
    async fn two_streams(
        &self,
        mut units: tokio::sync::mpsc::Receiver<Unit>,
        report: &mut SeedReport,
        progress: &mut Progress,
    ) -> anyhow::Result<()> {
        let (to_parts, mut parts) = tokio::sync::mpsc::channel::<Parts>(2);
        let revisions = std::sync::atomic::AtomicU64::new(0);
        let chain = async {
            let mut conn = Conn::acquire(self.db).await?;
            while let Some(unit) = units.recv().await {
                let mut txn = conn.begin().await?;
                for batch in unit.facts {
                    txn.run(batch).await?;
                }
                let appended = self.append(&mut txn, unit.chained).await?;
                txn.commit().await?;
                revisions.fetch_add(appended, std::sync::atomic::Ordering::Relaxed);
                if to_parts.send(unit.parts).await.is_err() {
                    break; // the other stream failed, and says why
                }
            }
            drop(to_parts);
            conn.release().await
        };
        let rest = async {
            let mut conn = Conn::acquire(self.db).await?;
            while let Some(mut batch) = parts.recv().await {
                let mut txn = conn.begin().await?;
                for statement in std::mem::take(&mut batch.statements) {
                    txn.run(statement).await?;
                }
                txn.commit().await?;
                report.revisions = revisions.load(std::sync::atomic::Ordering::Relaxed);
                self.completed(report, progress, &batch);
            }
            conn.release().await
        };
        let (chained, completed) = tokio::join!(chain, rest);
        report.revisions = revisions.load(std::sync::atomic::Ordering::Relaxed);
        chained?;
        completed
    }

    fn completed(&self, report: &mut SeedReport, progress: &mut Progress, parts: &Parts) {
        report.facts = parts.facts_after;
        report.participants += parts.participants;
        report.qualifiers += parts.qualifiers;
        report.citations += parts.citations;
        progress.committed(parts.facts_after, self.plan.facts, report.revisions);
    }

    /// Appends the revisions of `chained`, stepping the head over them; how many.
    async fn append(&self, txn: &mut Txn<'_>, chained: Chained) -> anyhow::Result<u64> {
        let appended = chained.revisions.len() as u64;
        let (Some(first), Some(last)) = (chained.revisions.first(), chained.revisions.last()) else {
            return Ok(0);
        };
        // Take the head's lock as `chain::append` does (an UPDATE that changes nothing), then read
        // it: another writer may have appended since these revisions were chained.
        txn.execute("UPDATE revision_chain SET length = length WHERE id = 1").await?;
        let (length, hash) = txn.head().await?;
        let (to, last_hash) = if first.seq == length + 1 && first.prev_hash == hash {
            for batch in chained.revision_statements {
                txn.run(batch).await?;
            }
            (last.seq, last.hash.clone())
        } else {
            self.rechain(txn, chained.revisions, length, hash).await?
        };
        self.step_head(txn, length, to).await?;
        let after = txn.head().await?;
        if after != (to, last_hash) {
            bail!("the chain head did not reach revision {to} (it is at {})", after.0);
        }
        Ok(appended)
    }

    /// Chains `rows` after the head found (someone else appended meanwhile) and inserts them:
    /// (the last sequence number, its hash).
    async fn rechain(
        &self,
        txn: &mut Txn<'_>,
        mut rows: Vec<revision::Model>,
        mut length: i64,
        mut hash: String,
    ) -> anyhow::Result<(i64, String)> {
        let mut table = Table::new("revisions", REVISION_COLUMNS, self.plan.revisions_per_statement);
        for row in &mut rows {
            row.seq = length + 1;
            row.prev_hash = hash.clone();
            row.hash = chain_hash(&hash, row);
            length = row.seq;
            hash = row.hash.clone();
            table.push(revision_row(row));
        }
        let mut batches = Vec::new();
        table.drain(self.backend, true, &mut batches);
        for batch in batches {
            txn.run(batch).await?;
        }
        Ok((length, hash))
    }

    /// Advances the head over revisions `from + 1 ..= to`, one guarded step each, inside the
    /// database.
    async fn step_head(&self, txn: &mut Txn<'_>, from: i64, to: i64) -> anyhow::Result<()> {
        match self.backend {
            DatabaseBackend::Postgres => {
                txn.execute(&format!(
                    "DO $$ DECLARE r record; BEGIN \
                     FOR r IN SELECT seq, hash FROM revisions WHERE seq > {from} AND seq <= {to} ORDER BY seq LOOP \
                     UPDATE revision_chain SET length = r.seq, head_hash = r.hash WHERE id = 1; \
                     END LOOP; END $$"
                ))
                .await?;
            }
            _ => {
                // Each row inserted into the connection's temporary table (see `Conn::acquire`)
                // fires its trigger, which takes one step of the head.
                txn.execute(&format!(
                    "INSERT INTO chancery_seed_steps (seq, hash) \
                     SELECT seq, hash FROM revisions WHERE seq > {from} AND seq <= {to} ORDER BY seq; \
                     DELETE FROM chancery_seed_steps"
                ))
                .await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fact::quotes::verify_quote;

    fn world(facts: u64) -> (Plan, World) {
        let plan = Plan::new(facts, DatabaseBackend::Sqlite);
        let accounts = Accounts { editors: vec![Uuid::nil(); 2], reviewers: vec![Uuid::max(); 2], rows: vec![] };
        let world = World::generate(&plan, &accounts);
        (plan, world)
    }

    #[test]
    fn quotes_are_located_where_quote_verification_finds_them() {
        let (plan, world) = world(2_000);
        for j in 0..plan.sources {
            let source = world.source(j);
            let Some(snapshot) = source.snapshot() else { continue };
            for s in 0..source.sentences {
                let found = verify_quote(&snapshot, &source.sentence(s)).expect("the quote is in the snapshot");
                assert_eq!((found.start as i32, found.end as i32), source.location(s), "source {j}, sentence {s}");
            }
        }
    }

    #[test]
    fn urls_are_stored_in_canonical_form_and_unique() {
        let (plan, world) = world(2_000);
        let mut seen = std::collections::HashSet::new();
        for j in 0..plan.sources {
            let url = world.source(j).url(&world);
            let canonical = canonicalize_url(&url).expect("a valid URL");
            assert!(seen.insert(canonical), "{url}");
        }
    }

    #[test]
    fn the_generator_is_deterministic_and_its_ids_are_unique() {
        let (_, a) = world(500);
        let (_, b) = world(500);
        assert!(a.actors.iter().zip(&b.actors).all(|(x, y)| x.id == y.id && x.name == y.name));
        let mut ids = std::collections::HashSet::new();
        assert!(a.actors.iter().chain(&a.outlets).all(|actor| ids.insert(actor.id)));
        assert!(!a.actors.iter().any(|actor| actor.id == RUSSIA || actor.id == SYRIA));
        let mut rng = Rng::of(1, 2);
        let draws: Vec<u64> = (0..5).map(|_| rng.below(10)).collect();
        let mut again = Rng::of(1, 2);
        assert_eq!(draws, (0..5).map(|_| again.below(10)).collect::<Vec<_>>());
    }

    /// The shipped kinds, as `usable_kinds` reads them (roles and qualifiers for the test only).
    fn kinds() -> Vec<Kind> {
        KIND_TEMPLATES
            .iter()
            .map(|(key, weight, template)| Kind {
                key: key.to_string(),
                label: key.to_string(),
                symmetric: key.ends_with("phone_call"),
                roles: vec!["SUBJECT", "OBJECT", "PARTICIPANT"],
                allowed_qualifiers: vec!["topic".into(), "facility".into(), "condition".into()],
                required_qualifiers: if key.starts_with("military") { vec!["facility".into()] } else { vec![] },
                weight: *weight,
                template: Some(template),
            })
            .collect()
    }

    #[test]
    fn every_row_of_a_seed_has_an_id_of_its_own() {
        let (plan, world) = world(20_000);
        let mut ids = std::collections::HashSet::new();
        let mut written = Vec::new();
        let mut rows = 0;
        for i in 0..plan.facts {
            write_fact(i, &plan, &world, &kinds(), &mut written);
        }
        assert_eq!(written.len() as u64, plan.facts, "every fact, corrections included");
        for w in &written {
            let c = &w.content;
            let mut all = vec![c.id];
            all.extend((0..c.participants.len()).map(|n| seed_uuid(c.created, TAG_PARTICIPANT, c.index, n as u64)));
            all.extend((0..c.qualifiers.len()).map(|n| seed_uuid(c.created, TAG_QUALIFIER, c.index, n as u64)));
            all.extend(c.citations.iter().map(|citation| citation.id));
            all.extend(w.steps.iter().enumerate().map(|(n, step)| seed_uuid(step.at, TAG_REVISION, c.index, n as u64)));
            rows += all.len();
            assert!(all.into_iter().all(|id| ids.insert(id)), "fact {}", c.index);
            // Chain order is time order: each fact's steps come after the previous fact's.
            assert!(w.steps.windows(2).all(|pair| pair[0].at < pair[1].at), "fact {}", c.index);
        }
        assert!(rows > 100_000);
        let times: Vec<DateTime<Utc>> = written.iter().flat_map(|w| w.steps.iter().map(|s| s.at)).collect();
        assert!(times.windows(2).all(|pair| pair[0] < pair[1]), "the chain's times increase");
        // Each fact's revisions, in chain order, number its versions 1, 2, 3…
        let mut versions: HashMap<Uuid, Vec<i32>> = HashMap::new();
        for step in written.iter().flat_map(|w| &w.steps) {
            versions.entry(step.fact).or_default().push(step.version);
        }
        assert_eq!(versions.len() as u64, plan.facts);
        for (fact, seen) in versions {
            assert_eq!(seen, (1..=seen.len() as i32).collect::<Vec<_>>(), "{fact}");
        }
    }

    #[test]
    fn snapshots_are_written_as_json_writes_them() {
        let (plan, world) = world(3_000);
        for i in 0..plan.facts {
            let c = content(i, &plan, &world, &kinds(), times(i, plan.facts).created);
            let fragments = c.fragments();
            for state in [
                State::plain("DRAFT", 1),
                State { retraction_reason: Some("It was \"wrong\"."), ..State::plain("RETRACTED", 4) },
                State { superseded_by: Some(c.id), ..State::plain("SUPERSEDED", 4) },
            ] {
                assert_eq!(c.snapshot(&fragments, &state), c.snapshot_value(&state), "fact {i}");
            }
            let fixed = c.correction(i + 1, c.created);
            let state = State::plain("PUBLISHED", 3);
            assert_eq!(fixed.snapshot(&fixed.fragments(), &state), fixed.snapshot_value(&state));
        }
    }

    #[test]
    fn statements_bind_fewer_values_than_sqlite_allows() {
        for plan in [Plan::new(1_000_000, DatabaseBackend::Sqlite), Plan::new(1_000_000, DatabaseBackend::Postgres)] {
            let tables = Tables::new(plan.backend, &plan);
            for table in [
                &tables.actors,
                &tables.aliases,
                &tables.sources,
                &tables.facts,
                &tables.participants,
                &tables.qualifiers,
                &tables.citations,
                &tables.search,
            ] {
                assert!(table.rows_per_statement * table.columns.len() <= 32_766, "{}", table.name);
            }
            assert!(plan.revisions_per_statement * REVISION_COLUMNS.len() <= 32_766);
            assert_eq!(plan.facts_per_transaction % 2, 0);
        }
    }
}
