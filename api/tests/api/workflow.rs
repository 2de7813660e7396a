//! The editorial state machine end to end over HTTP: the happy path from a new source to a
//! published fact, every step from every status for every kind of caller (exactly as the
//! TRANSITIONS table of `domain::workflow` says), the four-eyes rule, sending back and
//! resubmitting, retraction, correction, deletion of drafts, stale versions, the caller's own
//! lists, and the tamper-evident revision log with its command-line check.
use crate::support;

use crate::support::{assert_bad_input, single_error, Backend, TestApp};
use chancery::domain::fact::history::{revisions_of, verify_chain, ChainVerdict};
use chancery::graphql::ids;
use entity::enums::UserRole;
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

const EDITOR_EMAIL: &str = "editor@demo.chancery";
const EDITOR_PASSWORD: &str = "demo-editor-password";
const REVIEWER_EMAIL: &str = "reviewer@demo.chancery";
const REVIEWER_PASSWORD: &str = "demo-reviewer-password";
/// A quote of the demo article.
const DRAFT_SUMMARY: &str = "A Russian delegation visited Damascus.";
const EDITED_SUMMARY: &str = "A Russian delegation led by Mikhail Bogdanov visited Damascus.";
const CORRECTED_SUMMARY: &str = "A Russian delegation visited Damascus in January 2025 (corrected).";

const CREATE_FACT: &str = r#"
mutation($input: CreateFactInput!) {
  createFact(input: $input) {
    fact {
      id status version summary
      citations { quote verified snapshotStart snapshotEnd source { id } }
    }
  }
}"#;
const UPDATE_FACT: &str = r#"
mutation($input: UpdateFactInput!) {
  updateFact(input: $input) { fact { id status version summary } }
}"#;
const SUBMIT_FACT: &str = r#"
mutation($id: ID!, $v: Int!, $c: String) {
  submitFact(input: {id: $id, expectedVersion: $v, comment: $c}) { fact { id status version } }
}"#;
const REVIEW_FACT: &str = r#"
mutation($id: ID!, $v: Int!, $d: ReviewDecision!, $c: String) {
  reviewFact(input: {id: $id, expectedVersion: $v, decision: $d, comment: $c}) {
    fact { id status version publishedAt }
  }
}"#;
const RETRACT_FACT: &str = r#"
mutation($id: ID!, $v: Int!, $r: String!) {
  retractFact(input: {id: $id, expectedVersion: $v, reason: $r}) {
    fact { id status version retractedAt retractionReason }
  }
}"#;
const SUPERSEDE_FACT: &str = r#"
mutation($input: SupersedeFactInput!) {
  supersedeFact(input: $input) { fact { id status version summary supersedes { id } } }
}"#;
const DELETE_DRAFT: &str =
    "mutation($id: ID!, $v: Int!) { deleteDraft(input: {id: $id, expectedVersion: $v}) { deletedFactId } }";
const FACT_STATE: &str = r#"
query($id: ID!) {
  fact(id: $id) { id status version summary retractionReason supersedes { id } supersededBy { id } }
}"#;
const UPDATE_ACTOR: &str = r#"
mutation($input: UpdateActorInput!) {
  updateActor(input: $input) { actor { id description } }
}"#;

/// The variables of a mutation that takes `id` and `expectedVersion` inside its `input` along
/// with the fields of `input` (updateFact, supersedeFact, updateActor).
fn versioned(id: &str, version: i64, input: Value) -> Value {
    let mut input = input;
    let fields = input.as_object_mut().expect("an input object");
    fields.insert("id".to_owned(), json!(id));
    fields.insert("expectedVersion".to_owned(), json!(version));
    json!({ "input": input })
}

/// Who attempts a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The EDITOR who wrote the fact.
    Author,
    /// An EDITOR who did not.
    OtherEditor,
    /// A REVIEWER who did not write the fact.
    Reviewer,
    /// An ADMIN who did not write the fact.
    Admin,
    /// No token at all.
    Anonymous,
}

const ROLES: [Role; 5] = [Role::Author, Role::OtherEditor, Role::Reviewer, Role::Admin, Role::Anonymous];

/// A mutation of the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Update,
    Submit,
    Approve,
    RequestChanges,
    Reject,
    Retract,
    Supersede,
    Delete,
}

const STEPS: [Step; 8] = [
    Step::Update,
    Step::Submit,
    Step::Approve,
    Step::RequestChanges,
    Step::Reject,
    Step::Retract,
    Step::Supersede,
    Step::Delete,
];

impl Step {
    /// The mutation field that answers.
    fn field(self) -> &'static str {
        match self {
            Step::Update => "updateFact",
            Step::Submit => "submitFact",
            Step::Approve | Step::RequestChanges | Step::Reject => "reviewFact",
            Step::Retract => "retractFact",
            Step::Supersede => "supersedeFact",
            Step::Delete => "deleteDraft",
        }
    }

    /// The field of the mutation's payload that holds its answer.
    fn payload(self) -> &'static str {
        match self {
            Step::Delete => "deletedFactId",
            _ => "fact",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Draft,
    InReview,
    ChangesRequested,
    Published,
    Rejected,
    Retracted,
    Superseded,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::Draft => "DRAFT",
            Status::InReview => "IN_REVIEW",
            Status::ChangesRequested => "CHANGES_REQUESTED",
            Status::Published => "PUBLISHED",
            Status::Rejected => "REJECTED",
            Status::Retracted => "RETRACTED",
            Status::Superseded => "SUPERSEDED",
        }
    }

    /// Whether anyone may read a fact in this status.
    fn public(self) -> bool {
        matches!(self, Status::Published | Status::Retracted | Status::Superseded)
    }
}

const AUTHOR_ONLY: &[Role] = &[Role::Author];
const REVIEWERS: &[Role] = &[Role::Reviewer, Role::Admin];
const SIGNED_IN: &[Role] = &[Role::Author, Role::OtherEditor, Role::Reviewer, Role::Admin];

/// The TRANSITIONS table as the API shows it: the steps a status allows, by the name
/// INVALID_TRANSITION lists them under, and which of the callers may take each.
fn allowed(status: Status) -> &'static [(Step, &'static str, &'static [Role])] {
    match status {
        Status::Draft => &[
            (Step::Update, "EDIT", AUTHOR_ONLY),
            (Step::Submit, "SUBMIT", AUTHOR_ONLY),
            (Step::Delete, "DELETE", AUTHOR_ONLY),
        ],
        Status::ChangesRequested => &[(Step::Update, "EDIT", AUTHOR_ONLY), (Step::Submit, "SUBMIT", AUTHOR_ONLY)],
        Status::InReview => &[
            (Step::Approve, "APPROVE", REVIEWERS),
            (Step::RequestChanges, "REQUEST_CHANGES", REVIEWERS),
            (Step::Reject, "REJECT", REVIEWERS),
        ],
        Status::Published => &[(Step::Retract, "RETRACT", REVIEWERS), (Step::Supersede, "SUPERSEDE", SIGNED_IN)],
        Status::Rejected | Status::Retracted | Status::Superseded => &[],
    }
}

/// The steps on a published fact's citations (`corroboration.rs` takes them); INVALID_TRANSITION
/// lists them among what a published fact allows.
const CITATION_STEPS: &[&str] = &["PROPOSE_CITATION", "APPROVE_CITATION", "REJECT_CITATION", "WITHDRAW_CITATION"];

/// What an attempt must lead to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Done,
    InvalidTransition(Vec<&'static str>),
    Forbidden,
    NotFound,
    Unauthenticated,
}

/// The checks run in the order of `domain::workflow`: signed in, found (others' unpublished
/// facts do not exist for an editor), transition, authorization.
fn expected(status: Status, step: Step, role: Role) -> Outcome {
    if role == Role::Anonymous {
        return Outcome::Unauthenticated;
    }
    if role == Role::OtherEditor && !status.public() {
        return Outcome::NotFound;
    }
    let rows = allowed(status);
    match rows.iter().find(|(s, _, _)| *s == step) {
        None => {
            let mut names: Vec<&'static str> = rows.iter().map(|(_, name, _)| *name).collect();
            if status == Status::Published {
                names.extend(CITATION_STEPS);
            }
            Outcome::InvalidTransition(names)
        }
        Some((_, _, who)) if who.contains(&role) => Outcome::Done,
        Some(_) => Outcome::Forbidden,
    }
}

/// A fact as the tests track it: its id and the version they last saw.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Handle {
    id: String,
    version: i64,
}

impl Handle {
    fn of(fact: &Value) -> Self {
        Self {
            id: fact["id"].as_str().unwrap_or_else(|| panic!("a fact with an id: {fact:#}")).to_owned(),
            version: fact["version"].as_i64().unwrap_or_else(|| panic!("a fact with a version: {fact:#}")),
        }
    }
}

/// The demo data with a signed-in author, another editor, a reviewer and an admin.
struct Desk {
    app: TestApp,
    russia: String,
    syria: String,
    source: String,
    author: String,
    other_editor: String,
    reviewer: String,
    admin: String,
}

fn uuid_of(id: &str) -> uuid::Uuid {
    ids::decode_uuid(id, ids::FACT, "id").expect("a fact id")
}

impl Desk {
    async fn open(backend: Backend) -> Self {
        let app = TestApp::spawn_with_demo(backend).await;
        let russia = app.actor_id("Russia").await;
        let syria = app.actor_id("Syria").await;
        let source = app.demo_source_id().await;
        let author = app.login(EDITOR_EMAIL, EDITOR_PASSWORD).await;
        let reviewer = app.login(REVIEWER_EMAIL, REVIEWER_PASSWORD).await;
        let (_, other_editor) = app.user_with_role(UserRole::Editor).await;
        let (_, admin) = app.user_with_role(UserRole::Admin).await;
        Self { app, russia, syria, source, author, other_editor, reviewer, admin }
    }

    fn token(&self, role: Role) -> Option<&str> {
        match role {
            Role::Author => Some(&self.author),
            Role::OtherEditor => Some(&self.other_editor),
            Role::Reviewer => Some(&self.reviewer),
            Role::Admin => Some(&self.admin),
            Role::Anonymous => None,
        }
    }

    async fn send(&self, role: Role, query: &str, variables: Value) -> Value {
        match self.token(role) {
            Some(token) => self.app.graphql_as(token, query, variables).await,
            None => self.app.graphql(query, variables).await,
        }
    }

    /// A valid fact input: a visit, cited from the demo article.
    fn input(&self, summary: &str) -> Value {
        support::visit_input(&self.russia, &self.syria, &self.source, summary)
    }

    async fn create_as(&self, token: &str, input: Value) -> Handle {
        let data = self.app.ok_as(token, CREATE_FACT, json!({ "input": input })).await;
        assert_eq!(data["createFact"]["fact"]["status"], "DRAFT");
        assert_eq!(data["createFact"]["fact"]["version"], 1);
        Handle::of(&data["createFact"]["fact"])
    }

    /// The query and variables of `step` on `fact`, with every argument the step needs.
    fn request(&self, step: Step, fact: &Handle) -> (&'static str, Value) {
        let (id, v) = (fact.id.as_str(), fact.version);
        match step {
            Step::Update => (UPDATE_FACT, versioned(id, v, self.input(EDITED_SUMMARY))),
            Step::Submit => (SUBMIT_FACT, json!({ "id": id, "v": v, "c": "Ready for review." })),
            Step::Approve => (REVIEW_FACT, json!({ "id": id, "v": v, "d": "APPROVE", "c": "Checked." })),
            Step::RequestChanges => {
                (REVIEW_FACT, json!({ "id": id, "v": v, "d": "REQUEST_CHANGES", "c": "Name the delegation." }))
            }
            Step::Reject => (REVIEW_FACT, json!({ "id": id, "v": v, "d": "REJECT", "c": "Not a visit." })),
            Step::Retract => (RETRACT_FACT, json!({ "id": id, "v": v, "r": "The source withdrew the report." })),
            Step::Supersede => (SUPERSEDE_FACT, versioned(id, v, self.input(CORRECTED_SUMMARY))),
            Step::Delete => (DELETE_DRAFT, json!({ "id": id, "v": v })),
        }
    }

    async fn attempt(&self, role: Role, step: Step, fact: &Handle) -> Value {
        let (query, variables) = self.request(step, fact);
        self.send(role, query, variables).await
    }

    /// Takes a step that must succeed; returns the fact it answers with (for a correction, the
    /// new fact; for a deletion, the deleted fact with its last version).
    async fn step_ok(&self, role: Role, step: Step, fact: &Handle) -> Handle {
        let body = self.attempt(role, step, fact).await;
        assert!(body.get("errors").is_none(), "{role:?} {step:?} should succeed: {body:#}");
        let answer = &body["data"][step.field()][step.payload()];
        if step == Step::Delete {
            assert_eq!(answer, fact.id.as_str());
            return Handle { id: fact.id.clone(), version: fact.version + 1 };
        }
        Handle::of(answer)
    }

    /// The fact as a reviewer (who may read every fact) sees it; null once deleted.
    async fn state(&self, id: &str) -> Value {
        let body = self.app.graphql_as(&self.reviewer, FACT_STATE, json!({ "id": id })).await;
        assert!(body.get("errors").is_none(), "{body:#}");
        body["data"]["fact"].clone()
    }

    /// The fact and the row counts a refused step must leave as they were.
    async fn record(&self, fact: &Handle) -> (Value, i64, i64, i64) {
        (
            self.state(&fact.id).await,
            self.app.row_count("facts").await,
            self.app.row_count("revisions").await,
            self.app.row_count("citations").await,
        )
    }

    /// A fresh fact by the author, driven through the real workflow into `status`.
    async fn fact_in(&self, status: Status) -> Handle {
        let draft = self.create_as(&self.author, self.input(DRAFT_SUMMARY)).await;
        let fact = match status {
            Status::Draft => draft,
            _ => {
                let submitted = self.step_ok(Role::Author, Step::Submit, &draft).await;
                match status {
                    Status::InReview => submitted,
                    Status::ChangesRequested => self.step_ok(Role::Reviewer, Step::RequestChanges, &submitted).await,
                    Status::Rejected => self.step_ok(Role::Reviewer, Step::Reject, &submitted).await,
                    _ => {
                        let published = self.step_ok(Role::Reviewer, Step::Approve, &submitted).await;
                        match status {
                            Status::Retracted => self.step_ok(Role::Reviewer, Step::Retract, &published).await,
                            Status::Superseded => {
                                let correction = self.step_ok(Role::Author, Step::Supersede, &published).await;
                                let correction = self.step_ok(Role::Author, Step::Submit, &correction).await;
                                self.step_ok(Role::Reviewer, Step::Approve, &correction).await;
                                Handle::of(&self.state(&published.id).await)
                            }
                            _ => published,
                        }
                    }
                }
            }
        };
        let state = self.state(&fact.id).await;
        assert_eq!(state["status"], status.name(), "the fact was driven into {status:?}: {state:#}");
        assert_eq!(Handle::of(&state), fact);
        fact
    }
}

/// Asserts that `body` is the refusal `outcome` and that nothing was returned.
fn assert_refused(body: &Value, outcome: &Outcome, status: Status, context: &str) {
    let (code, message, _) = single_error(body);
    let wanted = match outcome {
        Outcome::InvalidTransition(_) => "INVALID_TRANSITION",
        Outcome::Forbidden => "FORBIDDEN",
        Outcome::NotFound => "NOT_FOUND",
        Outcome::Unauthenticated => "UNAUTHENTICATED",
        Outcome::Done => unreachable!("not a refusal"),
    };
    assert_eq!(code, wanted, "{context}: {body:#}");
    assert!(!message.is_empty(), "{context}: the refusal says why: {body:#}");
    assert!(body["data"].is_null(), "{context}: nothing is returned: {body:#}");
    if let Outcome::InvalidTransition(allowed) = outcome {
        let extensions = &body["errors"][0]["extensions"];
        assert_eq!(extensions["allowed"], json!(allowed), "{context}: {body:#}");
        assert_eq!(extensions["status"], status.name(), "{context}: {body:#}");
    }
}

impl Desk {
    /// Takes `step` on a fresh fact in `status` as `role`, which must succeed, and checks what
    /// it did.
    async fn assert_step_done(&self, role: Role, step: Step, status: Status, context: &str) {
        let fact = self.fact_in(status).await;
        let facts = self.app.row_count("facts").await;
        let revisions = self.app.row_count("revisions").await;
        let body = self.attempt(role, step, &fact).await;
        assert!(body.get("errors").is_none(), "{context}: should succeed: {body:#}");
        let answer = &body["data"][step.field()][step.payload()];
        let advanced = |to: &str| {
            assert_eq!(answer["id"], fact.id.as_str(), "{context}: {body:#}");
            assert_eq!(answer["status"], to, "{context}: {body:#}");
            assert_eq!(answer["version"], fact.version + 1, "{context}: {body:#}");
        };
        let mut facts_after = facts;
        match step {
            Step::Update => {
                advanced(status.name());
                assert_eq!(answer["summary"], EDITED_SUMMARY);
            }
            Step::Submit => advanced("IN_REVIEW"),
            Step::Approve => {
                advanced("PUBLISHED");
                assert!(answer["publishedAt"].is_string(), "{context}: {body:#}");
            }
            Step::RequestChanges => advanced("CHANGES_REQUESTED"),
            Step::Reject => advanced("REJECTED"),
            Step::Retract => {
                advanced("RETRACTED");
                assert_eq!(answer["retractionReason"], "The source withdrew the report.");
                assert!(answer["retractedAt"].is_string(), "{context}: {body:#}");
            }
            Step::Supersede => {
                assert_ne!(answer["id"], fact.id.as_str(), "{context}: a correction is a new fact");
                assert_eq!(answer["status"], "DRAFT", "{context}: {body:#}");
                assert_eq!(answer["version"], 1, "{context}: {body:#}");
                assert_eq!(answer["supersedes"]["id"], fact.id.as_str(), "{context}: {body:#}");
                let original = self.state(&fact.id).await;
                assert_eq!(original["status"], "PUBLISHED", "{context}: the original stays published");
                assert_eq!(original["version"], fact.version, "{context}: the original is untouched");
                facts_after += 1;
            }
            Step::Delete => {
                assert_eq!(answer, fact.id.as_str(), "{context}: {body:#}");
                assert!(self.state(&fact.id).await.is_null(), "{context}: the draft is gone");
                facts_after -= 1;
            }
        }
        assert_eq!(self.app.row_count("facts").await, facts_after, "{context}");
        assert_eq!(self.app.row_count("revisions").await, revisions + 1, "{context}: one revision per step");
    }
}

/// Tries every step as every caller on a fact in `status` and checks each outcome against the
/// TRANSITIONS table. Refused steps are tried on one fact, which must stay exactly as it was;
/// each permitted step is taken on a fresh fact of its own.
async fn every_step_from(backend: Backend, status: Status) {
    let desk = Desk::open(backend).await;
    let fact = desk.fact_in(status).await;
    let mut done = 0;
    for step in STEPS {
        for role in ROLES {
            let outcome = expected(status, step, role);
            let context = format!("{role:?} tries {step:?} on a {} fact", status.name());
            if outcome == Outcome::Done {
                desk.assert_step_done(role, step, status, &context).await;
                done += 1;
                continue;
            }
            let before = desk.record(&fact).await;
            let body = desk.attempt(role, step, &fact).await;
            assert_refused(&body, &outcome, status, &context);
            assert_eq!(desk.record(&fact).await, before, "{context}: a refused step changes nothing");
        }
    }
    let permitted: usize = allowed(status).iter().map(|(_, _, who)| who.len()).sum();
    assert_eq!(done, permitted);
}

async fn a_draft_can_only_be_edited_submitted_and_deleted_by_its_author(backend: Backend) {
    every_step_from(backend, Status::Draft).await;
}

async fn a_fact_in_review_can_only_be_decided_by_a_reviewer_or_admin_who_did_not_write_it(backend: Backend) {
    every_step_from(backend, Status::InReview).await;
}

async fn a_sent_back_fact_can_only_be_edited_and_resubmitted_by_its_author(backend: Backend) {
    every_step_from(backend, Status::ChangesRequested).await;
}

async fn a_published_fact_can_be_retracted_by_reviewers_and_corrected_by_anyone_signed_in(backend: Backend) {
    every_step_from(backend, Status::Published).await;
}

async fn a_rejected_fact_allows_no_step(backend: Backend) {
    every_step_from(backend, Status::Rejected).await;
}

async fn a_retracted_fact_allows_no_step(backend: Backend) {
    every_step_from(backend, Status::Retracted).await;
}

async fn a_superseded_fact_allows_no_step(backend: Backend) {
    every_step_from(backend, Status::Superseded).await;
}

const CREATE_SOURCE: &str = r#"
mutation($input: CreateSourceInput!) {
  createSource(input: $input) { source { id url title hasSnapshot snapshotSha256 outlet { name } } }
}"#;
const LAVROV_SNAPSHOT: &str = "Lavrov receives Shaibani \u{2013} ministry\n\nRussian Foreign Minister Sergey Lavrov \
received his Syrian counterpart in Moscow on Tuesday.\n\nThe ministers \u{201C}agreed to keep talking,\u{201D} the \
ministry said.";
const LAVROV_QUOTE: &str =
    "Russian Foreign Minister Sergey Lavrov received his Syrian counterpart in Moscow on Tuesday.";

async fn an_editor_records_a_source_and_a_fact_that_another_reviewer_publishes(backend: Backend) {
    let desk = Desk::open(backend).await;
    let app = &desk.app;
    let source_input = json!({
        "url": "https://Example.org/world/lavrov-shaibani?utm_source=feed#top",
        "title": "Lavrov receives Shaibani",
        "kind": "NEWS_ARTICLE",
        "outlet": app.actor_id("RT").await,
        "publishedOn": "2025-03-04",
        "publishedPrecision": "DAY",
        "language": "en",
        "snapshot": LAVROV_SNAPSHOT,
    });
    let source = app.ok_as(&desk.author, CREATE_SOURCE, json!({ "input": source_input })).await["createSource"]
        ["source"]
        .clone();
    assert_eq!(source["url"], "https://example.org/world/lavrov-shaibani");
    assert_eq!(source["hasSnapshot"], true);
    assert_eq!(source["outlet"]["name"], "RT");
    let source_id = source["id"].as_str().unwrap().to_owned();

    let input = json!({
        "kind": "diplomatic.visit",
        "summary": "Sergey Lavrov received Asaad al-Shaibani in Moscow.",
        "modality": "OCCURRED",
        "occurredOn": "2025-03-04",
        "occurredPrecision": "DAY",
        "country": "RU",
        "participants": [
            { "actor": desk.russia, "role": "SUBJECT" },
            { "actor": desk.syria, "role": "OBJECT" },
        ],
        "qualifiers": [{ "key": "location", "value": "Moscow" }],
        "citations": [{ "source": source_id, "quote": LAVROV_QUOTE, "attribution": "DIRECT" }],
    });
    let created = app.ok_as(&desk.author, CREATE_FACT, json!({ "input": input })).await["createFact"]["fact"].clone();
    assert_eq!(created["status"], "DRAFT");
    assert_eq!(created["version"], 1);
    let citation = &created["citations"][0];
    assert_eq!(citation["verified"], true, "{created:#}");
    assert_eq!(citation["source"]["id"], source_id.as_str());
    let start = LAVROV_SNAPSHOT[..LAVROV_SNAPSHOT.find(LAVROV_QUOTE).unwrap()].chars().count();
    assert_eq!(citation["snapshotStart"], start);
    assert_eq!(citation["snapshotEnd"], start + LAVROV_QUOTE.chars().count());
    let fact = Handle::of(&created);

    let public_fact = "query($id: ID!) { fact(id: $id) { id status history { version action comment } } }";
    assert!(app.query_ok(public_fact, json!({ "id": fact.id })).await["fact"].is_null(), "drafts are not public");

    let submitted = app
        .ok_as(&desk.author, SUBMIT_FACT, json!({ "id": fact.id, "v": 1, "c": "Ready: the ministry confirms it." }))
        .await;
    assert_eq!(submitted["submitFact"]["fact"]["status"], "IN_REVIEW");
    assert!(app.query_ok(public_fact, json!({ "id": fact.id })).await["fact"].is_null(), "nor is the review");

    let approved = app.ok_as(&desk.reviewer, REVIEW_FACT, json!({ "id": fact.id, "v": 2, "d": "APPROVE" })).await;
    assert_eq!(approved["reviewFact"]["fact"]["status"], "PUBLISHED");
    assert_eq!(approved["reviewFact"]["fact"]["version"], 3);
    assert!(approved["reviewFact"]["fact"]["publishedAt"].is_string());

    let listed = app.query_ok("{ facts(first: 100) { totalCount nodes { id status } } }", json!({})).await;
    assert_eq!(listed["facts"]["totalCount"], 11, "the ten demo facts and this one");
    let node = listed["facts"]["nodes"].as_array().unwrap().iter().find(|n| n["id"] == fact.id.as_str()).cloned();
    assert_eq!(node.expect("the new fact is listed")["status"], "PUBLISHED");

    let public = app.query_ok(public_fact, json!({ "id": fact.id })).await;
    assert_eq!(
        public["fact"]["history"],
        json!([
            { "version": 1, "action": "CREATED", "comment": null },
            { "version": 2, "action": "SUBMITTED", "comment": null },
            { "version": 3, "action": "APPROVED", "comment": null },
        ]),
        "the public sees steps, not comments"
    );
    let text = public.to_string();
    assert!(!text.contains(EDITOR_EMAIL) && !text.contains(REVIEWER_EMAIL), "no identities: {public:#}");
    let revision_fields = app.query_ok("{ __type(name: \"Revision\") { fields { name } } }", json!({})).await;
    let names: Vec<&str> =
        revision_fields["__type"]["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    // Its own opaque id, and no field that could name an editor or a reviewer.
    assert_eq!(names, vec!["id", "version", "action", "at", "comment", "sequence", "hash"], "a revision names nobody");

    let staff = app.ok_as(&desk.author, public_fact, json!({ "id": fact.id })).await;
    assert_eq!(staff["fact"]["history"][1]["comment"], "Ready: the ministry confirms it.", "the author sees comments");
}

async fn editor_cannot_approve_own_fact(backend: Backend) {
    // A REVIEWER who wrote a fact is its author: four eyes means someone else decides.
    let desk = Desk::open(backend).await;
    let fact = desk.create_as(&desk.reviewer, desk.input(DRAFT_SUMMARY)).await;
    let body = desk.app.graphql_as(&desk.reviewer, SUBMIT_FACT, json!({ "id": fact.id, "v": 1 })).await;
    let fact = Handle::of(&body["data"]["submitFact"]["fact"]);
    for (decision, comment) in [("APPROVE", None), ("REQUEST_CHANGES", Some("Again.")), ("REJECT", Some("No."))] {
        let before = desk.record(&fact).await;
        let body = desk
            .app
            .graphql_as(
                &desk.reviewer,
                REVIEW_FACT,
                json!({ "id": fact.id, "v": fact.version, "d": decision, "c": comment }),
            )
            .await;
        let (code, message, _) = single_error(&body);
        assert_eq!(code, "FORBIDDEN", "{decision} of one's own fact: {body:#}");
        assert!(message.contains("another reviewer"), "{message}");
        assert_eq!(desk.record(&fact).await, before);
    }
    let (_, second_reviewer) = desk.app.user_with_role(UserRole::Reviewer).await;
    let approved = desk
        .app
        .ok_as(&second_reviewer, REVIEW_FACT, json!({ "id": fact.id, "v": fact.version, "d": "APPROVE" }))
        .await;
    assert_eq!(approved["reviewFact"]["fact"]["status"], "PUBLISHED");
}

async fn admin_who_last_edited_cannot_approve(backend: Backend) {
    // Only a fact's author may edit it, so the admin who last edited a fact is its author.
    let desk = Desk::open(backend).await;
    let draft = desk.create_as(&desk.admin, desk.input(DRAFT_SUMMARY)).await;
    let edited = desk.app.ok_as(&desk.admin, UPDATE_FACT, versioned(&draft.id, 1, desk.input(EDITED_SUMMARY))).await;
    assert_eq!(edited["updateFact"]["fact"]["version"], 2);
    let submitted = desk.app.ok_as(&desk.admin, SUBMIT_FACT, json!({ "id": draft.id, "v": 2 })).await;
    let fact = Handle::of(&submitted["submitFact"]["fact"]);
    let before = desk.record(&fact).await;
    let body = desk.app.graphql_as(&desk.admin, REVIEW_FACT, json!({ "id": fact.id, "v": 3, "d": "APPROVE" })).await;
    assert_eq!(single_error(&body).0, "FORBIDDEN", "{body:#}");
    assert_eq!(desk.record(&fact).await, before);

    let (_, second_admin) = desk.app.user_with_role(UserRole::Admin).await;
    let approved = desk.app.ok_as(&second_admin, REVIEW_FACT, json!({ "id": fact.id, "v": 3, "d": "APPROVE" })).await;
    assert_eq!(approved["reviewFact"]["fact"]["status"], "PUBLISHED");
}

async fn reviewer_can_approve_others_fact(backend: Backend) {
    let desk = Desk::open(backend).await;
    let fact = desk.fact_in(Status::InReview).await;
    let approved =
        desk.app.ok_as(&desk.reviewer, REVIEW_FACT, json!({ "id": fact.id, "v": fact.version, "d": "APPROVE" })).await;
    assert_eq!(approved["reviewFact"]["fact"]["status"], "PUBLISHED");
    assert_eq!(approved["reviewFact"]["fact"]["version"], fact.version + 1);
    let listed = desk.app.query_ok(FACT_STATE, json!({ "id": fact.id })).await;
    assert_eq!(listed["fact"]["status"], "PUBLISHED", "the public sees it");
}

const REVIEW_QUEUE: &str = r#"
{ reviewQueue(first: 50) { totalCount nodes { ... on Fact { id status changesSinceLastReview { field before after } } } } }"#;

async fn a_sent_back_fact_is_edited_resubmitted_and_queued_with_what_changed(backend: Backend) {
    let desk = Desk::open(backend).await;
    let app = &desk.app;
    let sent_back = desk.fact_in(Status::ChangesRequested).await;
    let waiting = desk.fact_in(Status::InReview).await;

    let edited = app
        .ok_as(&desk.author, UPDATE_FACT, versioned(&sent_back.id, sent_back.version, desk.input(EDITED_SUMMARY)))
        .await;
    assert_eq!(edited["updateFact"]["fact"]["status"], "CHANGES_REQUESTED");
    let edited = Handle::of(&edited["updateFact"]["fact"]);
    let resubmitted = app.ok_as(&desk.author, SUBMIT_FACT, json!({ "id": edited.id, "v": edited.version })).await;
    assert_eq!(resubmitted["submitFact"]["fact"]["status"], "IN_REVIEW");
    let resubmitted = Handle::of(&resubmitted["submitFact"]["fact"]);

    let queue = app.ok_as(&desk.reviewer, REVIEW_QUEUE, json!({})).await;
    let nodes = queue["reviewQueue"]["nodes"].as_array().unwrap();
    let ids: Vec<&str> = nodes.iter().map(|n| n["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![waiting.id.as_str(), resubmitted.id.as_str()], "oldest first");
    assert_eq!(queue["reviewQueue"]["totalCount"], 2);
    assert_eq!(
        nodes[1]["changesSinceLastReview"],
        json!([{
            "field": "summary",
            "before": serde_json::to_string(DRAFT_SUMMARY).unwrap(),
            "after": serde_json::to_string(EDITED_SUMMARY).unwrap(),
        }]),
        "only the summary changed since the reviewer sent it back"
    );
    let never_reviewed: Vec<&str> =
        nodes[0]["changesSinceLastReview"].as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap()).collect();
    for field in ["citations", "kind", "participants", "qualifiers", "summary"] {
        assert!(never_reviewed.contains(&field), "a fact nobody reviewed shows everything: {never_reviewed:?}");
    }

    let admin_queue = app.ok_as(&desk.admin, REVIEW_QUEUE, json!({})).await;
    assert_eq!(admin_queue["reviewQueue"]["totalCount"], 2, "admins see the queue too");

    let approved = app
        .ok_as(&desk.reviewer, REVIEW_FACT, json!({ "id": resubmitted.id, "v": resubmitted.version, "d": "APPROVE" }))
        .await;
    assert_eq!(approved["reviewFact"]["fact"]["status"], "PUBLISHED");
    let history = app
        .ok_as(
            &desk.author,
            "query($id: ID!) { fact(id: $id) { history { action comment } } }",
            json!({ "id": resubmitted.id }),
        )
        .await;
    let actions: Vec<&str> =
        history["fact"]["history"].as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["CREATED", "SUBMITTED", "CHANGES_REQUESTED", "UPDATED", "SUBMITTED", "APPROVED"]);
    assert_eq!(history["fact"]["history"][2]["comment"], "Name the delegation.", "the author reads why");
    let queue = app.ok_as(&desk.reviewer, REVIEW_QUEUE, json!({})).await;
    assert_eq!(queue["reviewQueue"]["totalCount"], 1, "approved facts leave the queue");
}

async fn sending_back_or_rejecting_needs_a_comment(backend: Backend) {
    let desk = Desk::open(backend).await;
    let fact = desk.fact_in(Status::InReview).await;
    for decision in ["REQUEST_CHANGES", "REJECT"] {
        for comment in [None, Some(""), Some("   ")] {
            let before = desk.record(&fact).await;
            let body = desk
                .app
                .graphql_as(
                    &desk.reviewer,
                    REVIEW_FACT,
                    json!({ "id": fact.id, "v": fact.version, "d": decision, "c": comment }),
                )
                .await;
            assert_bad_input(&body, "comment");
            assert_eq!(desk.record(&fact).await, before, "{decision} without a comment changes nothing");
        }
    }
    let state = desk.state(&fact.id).await;
    assert_eq!(state["status"], "IN_REVIEW");
}

async fn refusals_come_in_the_order_found_version_transition_authorization_input(backend: Backend) {
    let desk = Desk::open(backend).await;
    let draft = desk.fact_in(Status::Draft).await;
    let review = desk.fact_in(Status::InReview).await;
    let published = desk.fact_in(Status::Published).await;
    let bad = desk.input("");
    let update = |fact: &Handle, v: i64| versioned(&fact.id, v, bad.clone());
    let reject = |fact: &Handle, v: i64| json!({ "id": fact.id, "v": v, "d": "REJECT" });
    let retract = |fact: &Handle, v: i64| json!({ "id": fact.id, "v": v, "r": " " });
    let cases = [
        // Someone else's draft does not exist for an editor, whatever else is wrong.
        (Role::OtherEditor, UPDATE_FACT, update(&draft, 9), &draft, "NOT_FOUND"),
        (Role::OtherEditor, SUPERSEDE_FACT, update(&draft, 9), &draft, "NOT_FOUND"),
        // A stale version comes before what the status allows.
        (Role::Author, UPDATE_FACT, update(&published, 9), &published, "CONFLICT"),
        (Role::Reviewer, REVIEW_FACT, reject(&draft, 9), &draft, "CONFLICT"),
        // What the status allows comes before who may do it.
        (Role::Author, UPDATE_FACT, update(&published, published.version), &published, "INVALID_TRANSITION"),
        (Role::Reviewer, RETRACT_FACT, retract(&review, review.version), &review, "INVALID_TRANSITION"),
        (
            Role::Reviewer,
            SUBMIT_FACT,
            json!({ "id": published.id, "v": published.version }),
            &published,
            "INVALID_TRANSITION",
        ),
        // Who may do it comes before the input.
        (Role::Reviewer, UPDATE_FACT, update(&draft, draft.version), &draft, "FORBIDDEN"),
        (Role::Author, REVIEW_FACT, reject(&review, review.version), &review, "FORBIDDEN"),
        (Role::Author, RETRACT_FACT, retract(&published, published.version), &published, "FORBIDDEN"),
        // And the input comes last.
        (Role::Author, UPDATE_FACT, update(&draft, draft.version), &draft, "BAD_USER_INPUT"),
        (Role::OtherEditor, SUPERSEDE_FACT, update(&published, published.version), &published, "BAD_USER_INPUT"),
        (Role::Reviewer, REVIEW_FACT, reject(&review, review.version), &review, "BAD_USER_INPUT"),
        (Role::Reviewer, RETRACT_FACT, retract(&published, published.version), &published, "BAD_USER_INPUT"),
    ];
    for (role, query, variables, fact, code) in cases {
        let before = desk.record(fact).await;
        let body = desk.send(role, query, variables.clone()).await;
        assert_eq!(single_error(&body).0, code, "{role:?} {query} {variables}: {body:#}");
        assert_eq!(desk.record(fact).await, before);
    }
}

async fn comments_and_reasons_are_at_most_two_thousand_characters(backend: Backend) {
    let desk = Desk::open(backend).await;
    let long = "c".repeat(2001);
    let draft = desk.fact_in(Status::Draft).await;
    let review = desk.fact_in(Status::InReview).await;
    let published = desk.fact_in(Status::Published).await;
    let cases = [
        (Role::Author, SUBMIT_FACT, json!({ "id": draft.id, "v": draft.version, "c": long }), &draft, "comment"),
        (
            Role::Reviewer,
            REVIEW_FACT,
            json!({ "id": review.id, "v": review.version, "d": "APPROVE", "c": long }),
            &review,
            "comment",
        ),
        (
            Role::Reviewer,
            REVIEW_FACT,
            json!({ "id": review.id, "v": review.version, "d": "REJECT", "c": long }),
            &review,
            "comment",
        ),
        (
            Role::Reviewer,
            RETRACT_FACT,
            json!({ "id": published.id, "v": published.version, "r": long }),
            &published,
            "reason",
        ),
    ];
    for (role, query, variables, fact, field) in cases {
        let before = desk.record(fact).await;
        let body = desk.send(role, query, variables).await;
        assert_bad_input(&body, field);
        assert_eq!(desk.record(fact).await, before);
    }
    let longest = "c".repeat(2000);
    let approved = desk
        .app
        .ok_as(
            &desk.reviewer,
            REVIEW_FACT,
            json!({ "id": review.id, "v": review.version, "d": "APPROVE", "c": longest }),
        )
        .await;
    assert_eq!(approved["reviewFact"]["fact"]["status"], "PUBLISHED");
}

async fn a_fact_without_citations_cannot_be_submitted(backend: Backend) {
    let desk = Desk::open(backend).await;
    let mut input = desk.input(DRAFT_SUMMARY);
    input["citations"] = json!([]);
    let draft = desk.create_as(&desk.author, input).await;
    let before = desk.record(&draft).await;
    let body = desk.app.graphql_as(&desk.author, SUBMIT_FACT, json!({ "id": draft.id, "v": 1 })).await;
    assert_bad_input(&body, "citations");
    assert_eq!(desk.record(&draft).await, before);
    assert_eq!(desk.state(&draft.id).await["status"], "DRAFT");
}

async fn a_retraction_needs_a_reason_and_stays_public_with_it(backend: Backend) {
    let desk = Desk::open(backend).await;
    let app = &desk.app;
    let fact = desk.fact_in(Status::Published).await;
    for reason in ["", "  \n "] {
        let before = desk.record(&fact).await;
        let body = app
            .graphql_as(&desk.reviewer, RETRACT_FACT, json!({ "id": fact.id, "v": fact.version, "r": reason }))
            .await;
        assert_bad_input(&body, "reason");
        assert_eq!(desk.record(&fact).await, before);
    }
    let reason = "The quoted article was edited after publication.";
    let retracted =
        app.ok_as(&desk.reviewer, RETRACT_FACT, json!({ "id": fact.id, "v": fact.version, "r": reason })).await;
    assert_eq!(retracted["retractFact"]["fact"]["status"], "RETRACTED");

    let public = app
        .query_ok(
            "query($id: ID!) { fact(id: $id) { status retractionReason retractedAt history { action } } }",
            json!({ "id": fact.id }),
        )
        .await;
    assert_eq!(public["fact"]["status"], "RETRACTED");
    assert_eq!(public["fact"]["retractionReason"], reason, "the public reads why");
    assert!(public["fact"]["retractedAt"].is_string());
    assert_eq!(public["fact"]["history"][3]["action"], "RETRACTED");
    let listed = app.query_ok("{ facts(first: 100) { nodes { id status retractionReason } } }", json!({})).await;
    let node = listed["facts"]["nodes"].as_array().unwrap().iter().find(|n| n["id"] == fact.id.as_str()).cloned();
    let node = node.expect("a retracted fact stays listed");
    assert_eq!(node["status"], "RETRACTED");
    assert_eq!(node["retractionReason"], reason);
}

async fn an_approved_correction_supersedes_the_fact_it_corrects(backend: Backend) {
    let desk = Desk::open(backend).await;
    let app = &desk.app;
    let original = desk.fact_in(Status::Published).await;
    let correction = app
        .ok_as(&desk.author, SUPERSEDE_FACT, versioned(&original.id, original.version, desk.input(CORRECTED_SUMMARY)))
        .await["supersedeFact"]["fact"]
        .clone();
    assert_eq!(correction["status"], "DRAFT");
    assert_eq!(correction["version"], 1);
    assert_eq!(correction["summary"], CORRECTED_SUMMARY);
    assert_eq!(correction["supersedes"]["id"], original.id.as_str());
    let correction = Handle::of(&correction);
    let pending = desk.state(&original.id).await;
    assert_eq!(pending["status"], "PUBLISHED", "the original stands until the correction is approved");
    assert!(pending["supersededBy"].is_null());
    assert!(app.query_ok(FACT_STATE, json!({ "id": correction.id })).await["fact"].is_null(), "a draft is private");

    let submitted = desk.step_ok(Role::Author, Step::Submit, &correction).await;
    let approved = desk.step_ok(Role::Reviewer, Step::Approve, &submitted).await;
    assert_eq!(approved.version, 3);

    let old = app.query_ok(FACT_STATE, json!({ "id": original.id })).await["fact"].clone();
    assert_eq!(old["status"], "SUPERSEDED");
    assert_eq!(old["version"], original.version + 1);
    assert_eq!(old["supersededBy"]["id"], correction.id.as_str());
    let new = app.query_ok(FACT_STATE, json!({ "id": correction.id })).await["fact"].clone();
    assert_eq!(new["status"], "PUBLISHED");
    assert_eq!(new["supersedes"]["id"], original.id.as_str());
    assert!(new["supersededBy"].is_null());
    let listed = app.query_ok("{ facts(first: 100) { totalCount nodes { id status } } }", json!({})).await;
    let statuses: Vec<(String, String)> = listed["facts"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["id"] == original.id.as_str() || n["id"] == correction.id.as_str())
        .map(|n| (n["id"].as_str().unwrap().to_owned(), n["status"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(statuses.len(), 2, "both are public: {listed:#}");
    assert!(statuses.contains(&(original.id.clone(), "SUPERSEDED".to_owned())));
    assert!(statuses.contains(&(correction.id.clone(), "PUBLISHED".to_owned())));
    let history =
        app.query_ok("query($id: ID!) { fact(id: $id) { history { action } } }", json!({ "id": original.id })).await;
    let actions: Vec<&str> =
        history["fact"]["history"].as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["CREATED", "SUBMITTED", "APPROVED", "SUPERSEDED"]);

    // Only published facts can be corrected.
    let superseded = Handle::of(&old);
    for (fact, allowed) in [
        (desk.fact_in(Status::Draft).await, json!(["EDIT", "SUBMIT", "DELETE"])),
        (desk.fact_in(Status::InReview).await, json!(["APPROVE", "REQUEST_CHANGES", "REJECT"])),
        (superseded, json!([])),
    ] {
        let before = desk.record(&fact).await;
        let body = desk.attempt(Role::Author, Step::Supersede, &fact).await;
        assert_eq!(single_error(&body).0, "INVALID_TRANSITION", "{body:#}");
        assert_eq!(body["errors"][0]["extensions"]["allowed"], allowed);
        assert_eq!(desk.record(&fact).await, before);
    }
}

async fn a_second_correction_cannot_be_approved_once_the_original_is_superseded(backend: Backend) {
    let desk = Desk::open(backend).await;
    let original = desk.fact_in(Status::Published).await;
    let first = desk.step_ok(Role::Author, Step::Supersede, &original).await;
    let second = desk.step_ok(Role::Author, Step::Supersede, &original).await;
    let first = desk.step_ok(Role::Author, Step::Submit, &first).await;
    let second = desk.step_ok(Role::Author, Step::Submit, &second).await;
    desk.step_ok(Role::Reviewer, Step::Approve, &first).await;

    let before = desk.record(&second).await;
    let revisions = desk.app.row_count("revisions").await;
    let body = desk.attempt(Role::Reviewer, Step::Approve, &second).await;
    assert_eq!(single_error(&body).0, "CONFLICT", "{body:#}");
    assert_eq!(desk.record(&second).await, before, "the second correction stays in review");
    assert_eq!(desk.app.row_count("revisions").await, revisions);
    let old = desk.state(&original.id).await;
    assert_eq!(old["supersededBy"]["id"], first.id.as_str(), "the first correction stands");
    assert!(matches!(verify_chain(&desk.app.db).await.unwrap(), ChainVerdict::Intact { .. }));
}

async fn deleting_a_draft_removes_it_but_keeps_its_history(backend: Backend) {
    let desk = Desk::open(backend).await;
    let app = &desk.app;
    let draft = desk.fact_in(Status::Draft).await;
    let edited = desk.step_ok(Role::Author, Step::Update, &draft).await;
    let facts = app.row_count("facts").await;
    let revisions = app.row_count("revisions").await;

    let deleted = app.ok_as(&desk.author, DELETE_DRAFT, json!({ "id": edited.id, "v": edited.version })).await;
    assert_eq!(deleted["deleteDraft"]["deletedFactId"], edited.id.as_str());
    assert_eq!(app.row_count("facts").await, facts - 1);
    assert_eq!(app.row_count("revisions").await, revisions + 1);
    let own = app.ok_as(&desk.author, FACT_STATE, json!({ "id": edited.id })).await;
    assert!(own["fact"].is_null(), "the author no longer finds it");
    let mine = app.ok_as(&desk.author, "{ myFacts(first: 100) { nodes { id } } }", json!({})).await;
    assert!(!mine.to_string().contains(&edited.id), "nor among their facts");

    let log = revisions_of(&app.db, uuid_of(&edited.id)).await.unwrap();
    let steps: Vec<(i32, &str)> = log.iter().map(|r| (r.fact_version, r.action.as_str())).collect();
    assert_eq!(steps, vec![(1, "CREATED"), (2, "UPDATED"), (3, "DELETED")], "the log keeps the draft's history");
    assert_eq!(
        verify_chain(&app.db).await.unwrap(),
        ChainVerdict::Intact { length: app.row_count("revisions").await as u64 }
    );

    let again = app.graphql_as(&desk.author, DELETE_DRAFT, json!({ "id": edited.id, "v": 3 })).await;
    assert_eq!(single_error(&again).0, "NOT_FOUND", "{again:#}");
}

async fn a_stale_expected_version_is_a_conflict_on_every_mutation_and_writes_nothing(backend: Backend) {
    let desk = Desk::open(backend).await;
    let app = &desk.app;
    let cases = [
        (Status::Draft, Role::Author, Step::Update),
        (Status::Draft, Role::Author, Step::Submit),
        (Status::Draft, Role::Author, Step::Delete),
        (Status::ChangesRequested, Role::Author, Step::Update),
        (Status::ChangesRequested, Role::Author, Step::Submit),
        (Status::InReview, Role::Reviewer, Step::Approve),
        (Status::InReview, Role::Reviewer, Step::RequestChanges),
        (Status::InReview, Role::Reviewer, Step::Reject),
        (Status::Published, Role::Reviewer, Step::Retract),
        (Status::Published, Role::Author, Step::Supersede),
    ];
    for (status, role, step) in cases {
        let fact = desk.fact_in(status).await;
        for stale in [fact.version - 1, fact.version + 1] {
            let context = format!("{step:?} of a {} fact at version {} naming {stale}", status.name(), fact.version);
            let before = desk.record(&fact).await;
            let aliases = app.row_count("actor_aliases").await;
            let body = desk.attempt(role, step, &Handle { id: fact.id.clone(), version: stale }).await;
            let (code, message, _) = single_error(&body);
            assert_eq!(code, "CONFLICT", "{context}: {body:#}");
            assert!(message.contains(&format!("version is {}", fact.version)), "{context}: {message}");
            let current = &body["errors"][0]["extensions"]["currentVersion"];
            assert_eq!(current, &json!(fact.version), "{context}: machine-readable: {body:#}");
            assert_eq!(desk.record(&fact).await, before, "{context}: nothing is written");
            assert_eq!(app.row_count("actor_aliases").await, aliases);
        }
    }

    let actor = |description: &str| {
        json!({ "name": "Russia", "kind": "STATE", "country": "RU", "wikidataQid": "Q159",
                "description": description, "aliases": ["Russian Federation", "Moscow"] })
    };
    let russia = actor_row(app, &desk.russia).await;
    assert_eq!(russia.version, 1);
    for stale in [0, 2] {
        let aliases = app.row_count("actor_aliases").await;
        let body = app.graphql_as(&desk.author, UPDATE_ACTOR, versioned(&desk.russia, stale, actor("Changed."))).await;
        let (code, message, _) = single_error(&body);
        assert_eq!(code, "CONFLICT", "{body:#}");
        assert!(message.contains("version is 1"), "{message}");
        assert_eq!(body["errors"][0]["extensions"]["currentVersion"], 1, "{body:#}");
        assert_eq!(app.row_count("actor_aliases").await, aliases);
        assert_eq!(actor_row(app, &desk.russia).await, russia, "the actor is untouched");
    }
    let fresh = app.ok_as(&desk.author, UPDATE_ACTOR, versioned(&desk.russia, 1, actor("Changed."))).await;
    assert_eq!(fresh["updateActor"]["actor"]["description"], "Changed.", "the current version is accepted");
    assert_eq!(actor_row(app, &desk.russia).await.version, 2);
}

/// An actor's stored row (the API does not show an actor's version).
async fn actor_row(app: &TestApp, id: &str) -> entity::actor::Model {
    use sea_orm::EntityTrait;
    let uuid = ids::decode_uuid(id, ids::ACTOR, "id").expect("an actor id");
    entity::actor::Entity::find_by_id(uuid).one(&app.db).await.unwrap().expect("the actor exists")
}

async fn an_actor_shows_the_version_update_actor_expects(backend: Backend) {
    // updateActor insists on `expectedVersion`, "the version you read"; a client must be able
    // to read it, from `actor(id:)` and from updateActor's own answer.
    let desk = Desk::open(backend).await;
    let read =
        desk.app.graphql("query($id: ID!) { actor(id: $id) { id version } }", json!({ "id": desk.russia })).await;
    assert!(read.get("errors").is_none(), "Actor.version is readable: {read:#}");
    assert_eq!(read["data"]["actor"]["version"], 1);
}

const VISIBILITY_PROBE: &str = r#"
query($id: ID!, $russia: ID!, $source: ID!) {
  fact(id: $id) { id }
  node(id: $id) { id }
  nodes(ids: [$id]) { id }
  facts(first: 100) { totalCount }
  actor(id: $russia) { facts(first: 100) { totalCount } }
  source(id: $source) { facts(first: 100) { totalCount } }
}"#;

async fn unpublished_facts_stay_hidden_from_the_public_and_other_editors(backend: Backend) {
    let desk = Desk::open(backend).await;
    let probe = |id: &str| json!({ "id": id, "russia": desk.russia, "source": desk.source });
    let published = desk.app.query_ok("{ facts(first: 1) { nodes { id } } }", json!({})).await["facts"]["nodes"][0]
        ["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let baseline = desk.app.query_ok(VISIBILITY_PROBE, probe(&published)).await;
    assert_eq!(baseline["fact"]["id"], published.as_str());
    for status in [Status::Draft, Status::InReview, Status::ChangesRequested, Status::Rejected] {
        let fact = desk.fact_in(status).await;
        for role in [Role::Anonymous, Role::OtherEditor] {
            let body = desk.send(role, VISIBILITY_PROBE, probe(&fact.id)).await;
            assert!(body.get("errors").is_none(), "{body:#}");
            let data = &body["data"];
            let context = format!("{role:?} looking for a {} fact", status.name());
            assert!(data["fact"].is_null() && data["node"].is_null(), "{context}: {data:#}");
            assert_eq!(data["nodes"], json!([null]), "{context}");
            for list in ["facts", "actor", "source"] {
                assert_eq!(data[list], baseline[list], "{context}: the public lists are as before");
            }
        }
        for role in [Role::Author, Role::Reviewer, Role::Admin] {
            let body = desk.send(role, VISIBILITY_PROBE, probe(&fact.id)).await;
            let data = &body["data"];
            assert_eq!(data["fact"]["id"], fact.id.as_str(), "{role:?} reads a {} fact", status.name());
            assert_eq!(data["node"]["id"], fact.id.as_str());
            assert_eq!(data["facts"], baseline["facts"], "the public list is the public list for everyone");
        }
    }
}

const MY_FACTS: &str = "{ myFacts(first: 100) { totalCount nodes { id status } } }";

async fn my_facts_show_the_author_their_drafts_and_nobody_else(backend: Backend) {
    let desk = Desk::open(backend).await;
    let app = &desk.app;
    let draft = desk.fact_in(Status::Draft).await;
    let mine = app.ok_as(&desk.author, MY_FACTS, json!({})).await;
    let node = mine["myFacts"]["nodes"].as_array().unwrap().iter().find(|n| n["id"] == draft.id.as_str()).cloned();
    assert_eq!(node.expect("the author sees their draft")["status"], "DRAFT");
    assert_eq!(mine["myFacts"]["nodes"][0]["id"], draft.id.as_str(), "most recently changed first");
    assert_eq!(mine["myFacts"]["totalCount"], 11, "the demo editor wrote the ten demo facts too");

    let theirs = app.ok_as(&desk.other_editor, MY_FACTS, json!({})).await;
    assert_eq!(theirs["myFacts"]["totalCount"], 0, "another editor sees none of it: {theirs:#}");
    let peek = app.ok_as(&desk.other_editor, FACT_STATE, json!({ "id": draft.id })).await;
    assert!(peek["fact"].is_null(), "nor can they open it");
    let reviewers = app.ok_as(&desk.reviewer, MY_FACTS, json!({})).await;
    assert_eq!(reviewers["myFacts"]["totalCount"], 0, "myFacts is what the caller wrote, not what they can read");

    let anonymous = app.graphql(MY_FACTS, json!({})).await;
    assert_eq!(single_error(&anonymous).0, "UNAUTHENTICATED", "{anonymous:#}");
}

async fn viewer_names_the_signed_in_account_and_is_null_without_a_token(backend: Backend) {
    let desk = Desk::open(backend).await;
    let query = "{ viewer { id email displayName role } }";
    let editor = desk.app.ok_as(&desk.author, query, json!({})).await;
    assert_eq!(editor["viewer"]["email"], EDITOR_EMAIL);
    assert_eq!(editor["viewer"]["role"], "EDITOR");
    let reviewer = desk.app.ok_as(&desk.reviewer, query, json!({})).await;
    assert_eq!(reviewer["viewer"]["email"], REVIEWER_EMAIL);
    assert_eq!(reviewer["viewer"]["role"], "REVIEWER");
    assert_ne!(editor["viewer"]["id"], reviewer["viewer"]["id"]);
    let admin = desk.app.ok_as(&desk.admin, query, json!({})).await;
    assert_eq!(admin["viewer"]["role"], "ADMIN");
    let anonymous = desk.app.query_ok(query, json!({})).await;
    assert!(anonymous["viewer"].is_null());
}

async fn the_review_queue_is_refused_to_editors_and_anonymous_callers(backend: Backend) {
    let desk = Desk::open(backend).await;
    desk.fact_in(Status::InReview).await;
    let editor = desk.app.graphql_as(&desk.author, REVIEW_QUEUE, json!({})).await;
    assert_eq!(single_error(&editor).0, "FORBIDDEN", "{editor:#}");
    let other = desk.app.graphql_as(&desk.other_editor, REVIEW_QUEUE, json!({})).await;
    assert_eq!(single_error(&other).0, "FORBIDDEN", "{other:#}");
    let anonymous = desk.app.graphql(REVIEW_QUEUE, json!({})).await;
    assert_eq!(single_error(&anonymous).0, "UNAUTHENTICATED", "{anonymous:#}");
    let reviewer = desk.app.ok_as(&desk.reviewer, REVIEW_QUEUE, json!({})).await;
    assert_eq!(reviewer["reviewQueue"]["totalCount"], 1);
}

const FORGE: &str = "UPDATE revisions SET comment = 'forged' WHERE seq = 5";

async fn a_revision_changed_behind_the_applications_back_breaks_the_chain_there(backend: Backend) {
    let desk = Desk::open(backend).await;
    let app = &desk.app;
    desk.fact_in(Status::Retracted).await;
    let length = app.row_count("revisions").await as u64;
    assert!(length > 5);

    // The database itself refuses to change or remove a revision.
    for sql in [FORGE, "DELETE FROM revisions WHERE seq = 5"] {
        let refused = app.db.execute_unprepared(sql).await;
        let error = refused.expect_err("revisions are append-only").to_string();
        assert!(error.contains("append-only"), "{sql}: {error}");
    }
    assert_eq!(verify_chain(&app.db).await.unwrap(), ChainVerdict::Intact { length });
    let (ok, stdout, stderr) = app.verify_history_cli(&[]).await;
    assert!(ok, "verify-history succeeds on an intact log: {stdout} {stderr}");
    assert!(stdout.contains("intact"), "{stdout}");
    assert!(stdout.contains(&format!("{length} revisions")), "{stdout}");

    let disable = match backend {
        Backend::Sqlite => "DROP TRIGGER revisions_append_only_update",
        Backend::Postgres => "ALTER TABLE revisions DISABLE TRIGGER USER",
    };
    app.db.execute_unprepared(disable).await.expect("the owner can remove the guard");
    let forged = app.db.execute_unprepared(FORGE).await.expect("with the guard gone the row can be changed");
    assert_eq!(forged.rows_affected(), 1);

    match verify_chain(&app.db).await.unwrap() {
        ChainVerdict::Broken { seq, reason, .. } => {
            assert_eq!(seq, 5, "{reason}");
            assert!(reason.contains("content"), "{reason}");
        }
        intact => panic!("a forged revision must break the chain: {intact:?}"),
    }
    let (ok, stdout, stderr) = app.verify_history_cli(&[]).await;
    assert!(!ok, "verify-history fails on a forged log: {stdout} {stderr}");
    assert!(stderr.contains("revision #5"), "names the forged revision: {stderr}");
}

/// A reviewer of a correction sees what it changes against the fact it corrects, not every
/// field as if it were new.
async fn a_corrections_review_shows_only_what_it_changes(backend: Backend) {
    let desk = Desk::open(backend).await;
    let app = &desk.app;
    let original = desk.fact_in(Status::Published).await;
    let correction = app
        .ok_as(&desk.author, SUPERSEDE_FACT, versioned(&original.id, original.version, desk.input(CORRECTED_SUMMARY)))
        .await["supersedeFact"]["fact"]
        .clone();
    let submitted = desk.step_ok(Role::Author, Step::Submit, &Handle::of(&correction)).await;
    let queue = app
        .ok_as(
            &desk.reviewer,
            "{ reviewQueue { nodes { ... on Fact { id changesSinceLastReview { field after } } } } }",
            json!({}),
        )
        .await;
    let entry = queue["reviewQueue"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == submitted.id.as_str())
        .cloned()
        .expect("the correction waits for review");
    let fields: Vec<_> =
        entry["changesSinceLastReview"].as_array().unwrap().iter().map(|c| c["field"].clone()).collect();
    assert_eq!(fields, vec![json!("summary")], "{entry:#}");
}

/// A diff names the records it mentions by the API's global ids, which `node(id:)` resolves.
async fn a_diff_names_related_records_by_global_id(backend: Backend) {
    let desk = Desk::open(backend).await;
    let app = &desk.app;
    let original = desk.fact_in(Status::Published).await;
    let mut input = desk.input(CORRECTED_SUMMARY);
    input["participants"][1]["role"] = json!("PARTICIPANT");
    let correction = app.ok_as(&desk.author, SUPERSEDE_FACT, versioned(&original.id, original.version, input)).await
        ["supersedeFact"]["fact"]
        .clone();
    let diff = app
        .ok_as(
            &desk.author,
            "query($id: ID!) { fact(id: $id) { changesSinceLastReview { field before after } } }",
            json!({ "id": correction["id"] }),
        )
        .await;
    let changes = diff["fact"]["changesSinceLastReview"].as_array().unwrap();
    let participants = changes.iter().find(|c| c["field"] == "participants").expect("participants changed");
    let after = participants["after"].as_str().unwrap();
    assert!(after.contains(&format!("\"{}\"", desk.syria)), "the actor is named by its global id: {after}");
    assert!(!after.contains(&actor_row(app, &desk.syria).await.id.to_string()), "no raw id: {after}");
}

backend_tests!(
    a_diff_names_related_records_by_global_id,
    a_corrections_review_shows_only_what_it_changes,
    an_editor_records_a_source_and_a_fact_that_another_reviewer_publishes,
    a_draft_can_only_be_edited_submitted_and_deleted_by_its_author,
    a_fact_in_review_can_only_be_decided_by_a_reviewer_or_admin_who_did_not_write_it,
    a_sent_back_fact_can_only_be_edited_and_resubmitted_by_its_author,
    a_published_fact_can_be_retracted_by_reviewers_and_corrected_by_anyone_signed_in,
    a_rejected_fact_allows_no_step,
    a_retracted_fact_allows_no_step,
    a_superseded_fact_allows_no_step,
    editor_cannot_approve_own_fact,
    admin_who_last_edited_cannot_approve,
    reviewer_can_approve_others_fact,
    a_sent_back_fact_is_edited_resubmitted_and_queued_with_what_changed,
    sending_back_or_rejecting_needs_a_comment,
    refusals_come_in_the_order_found_version_transition_authorization_input,
    comments_and_reasons_are_at_most_two_thousand_characters,
    a_fact_without_citations_cannot_be_submitted,
    a_retraction_needs_a_reason_and_stays_public_with_it,
    an_approved_correction_supersedes_the_fact_it_corrects,
    a_second_correction_cannot_be_approved_once_the_original_is_superseded,
    deleting_a_draft_removes_it_but_keeps_its_history,
    a_stale_expected_version_is_a_conflict_on_every_mutation_and_writes_nothing,
    unpublished_facts_stay_hidden_from_the_public_and_other_editors,
    my_facts_show_the_author_their_drafts_and_nobody_else,
    viewer_names_the_signed_in_account_and_is_null_without_a_token,
    the_review_queue_is_refused_to_editors_and_anonymous_callers,
    a_revision_changed_behind_the_applications_back_breaks_the_chain_there,
    an_actor_shows_the_version_update_actor_expects,
);
