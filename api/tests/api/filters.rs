//! The public filters and orderings, on the demo data, with the exact answers `demo.rs` implies.
//! A demo fact is named here by its kind and occurred date, which tell the ten apart.

use std::collections::BTreeSet;

use crate::support::{assert_bad_input, Backend, TestApp};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde_json::{json, Value};

const PHONE_CALL: &str = "diplomatic.phone_call@2025-02-12";
const SUPPORT_STATEMENT: &str = "policy.support_statement@2025-02-12";
const AID_PLEDGE: &str = "aid.pledge@2025-02-12";
const BASE_ACCESS: &str = "military.basing_access@2025-02-01";
const BOGDANOV_VISIT: &str = "diplomatic.visit@2025-01-01";
const BOGDANOV_STATEMENT: &str = "policy.statement@2025-01-01";
const HTS_OFFENSIVE: &str = "military.armed_attack@2024-12-01";
const NEW_LEADER: &str = "leadership.change@2024-12-01";
const ASSAD_FLIGHT: &str = "leadership.flight@2024-12-01";
const STRATEGIC_INTERESTS: &str = "policy.statement@2024-12-01";

const ALL_FACTS: [&str; 10] = [
    PHONE_CALL,
    SUPPORT_STATEMENT,
    AID_PLEDGE,
    BASE_ACCESS,
    BOGDANOV_VISIT,
    BOGDANOV_STATEMENT,
    HTS_OFFENSIVE,
    NEW_LEADER,
    ASSAD_FLIGHT,
    STRATEGIC_INTERESTS,
];

const DEMO_URL: &str = "https://chattythat.news/putin-talks-to-new-syrian-leadership-kremlin-438343.html";

const FACTS: &str = r#"
query Facts($filter: FactFilterInput, $order: FactOrderInput) {
  facts(filter: $filter, orderBy: $order, first: 100) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage }
    nodes {
      id summary country publishedAt
      kind { key category }
      occurred { date }
      participants { role actor { name } }
      qualifiers { key value }
      citations { verified relayedFrom { name } source { url } }
    }
  }
}"#;

/// The facts matching `filter` in `order` (all on one page), after checking that the page is the
/// whole list: `totalCount` equals the number of nodes and no page follows.
async fn facts_in_order(app: &TestApp, filter: Value, order: Value) -> Vec<Value> {
    let data = app.query_ok(FACTS, json!({ "filter": filter, "order": order })).await;
    let facts = data["facts"]["nodes"].as_array().unwrap().clone();
    assert_eq!(data["facts"]["totalCount"], facts.len(), "totalCount counts what the filter matches: {filter}");
    assert_eq!(data["facts"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(data["facts"]["pageInfo"]["hasPreviousPage"], false);
    facts
}

async fn facts_matching(app: &TestApp, filter: Value) -> Vec<Value> {
    facts_in_order(app, filter, Value::Null).await
}

fn label(fact: &Value) -> String {
    format!("{}@{}", fact["kind"]["key"].as_str().unwrap(), fact["occurred"]["date"].as_str().unwrap())
}

fn labels(facts: &[Value]) -> BTreeSet<String> {
    let labels: BTreeSet<String> = facts.iter().map(label).collect();
    assert_eq!(labels.len(), facts.len(), "no fact is listed twice");
    labels
}

fn set(labels: &[&str]) -> BTreeSet<String> {
    labels.iter().map(|l| (*l).to_owned()).collect()
}

fn dates(facts: &[Value]) -> Vec<String> {
    facts.iter().map(|f| f["occurred"]["date"].as_str().unwrap().to_owned()).collect()
}

fn ids(facts: &[Value]) -> Vec<String> {
    facts.iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect()
}

fn participant_names(fact: &Value) -> Vec<String> {
    fact["participants"].as_array().unwrap().iter().map(|p| p["actor"]["name"].as_str().unwrap().to_owned()).collect()
}

fn names_with_role(fact: &Value, role: &str) -> Vec<String> {
    fact["participants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["role"] == role)
        .map(|p| p["actor"]["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn the_source_id(app: &TestApp) -> String {
    let data = app.query_ok("{ sources(first: 100) { nodes { id url } } }", json!({})).await;
    let sources = data["sources"]["nodes"].as_array().unwrap();
    assert_eq!(sources.len(), 1, "the demo has one source");
    assert_eq!(sources[0]["url"], DEMO_URL);
    sources[0]["id"].as_str().unwrap().to_owned()
}

async fn all_of_russia_and_syria_gives_the_seven_facts_both_take_part_in_newest_first(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (russia, syria) = (app.actor_id("Russia").await, app.actor_id("Syria").await);
    let facts = facts_in_order(
        &app,
        json!({ "allOf": [russia, syria] }),
        json!({ "field": "OCCURRED_AT", "direction": "DESC" }),
    )
    .await;
    assert_eq!(
        labels(&facts),
        set(&[
            PHONE_CALL,
            SUPPORT_STATEMENT,
            AID_PLEDGE,
            BASE_ACCESS,
            BOGDANOV_VISIT,
            BOGDANOV_STATEMENT,
            STRATEGIC_INTERESTS
        ])
    );
    let dates = dates(&facts);
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first: {dates:?}");
    assert_eq!(dates.first().map(String::as_str), Some("2025-02-12"));
    assert_eq!(dates.last().map(String::as_str), Some("2024-12-01"));
    for fact in &facts {
        let names = participant_names(fact);
        assert!(names.iter().any(|n| n == "Russia") && names.iter().any(|n| n == "Syria"), "{names:?}");
    }

    // Oldest first is the same set in non-decreasing order.
    let ascending = facts_in_order(
        &app,
        json!({ "allOf": [russia, syria] }),
        json!({ "field": "OCCURRED_AT", "direction": "ASC" }),
    )
    .await;
    assert_eq!(labels(&ascending), labels(&facts));
    let ascending_dates = self::dates(&ascending);
    assert!(ascending_dates.windows(2).all(|w| w[0] <= w[1]), "oldest first: {ascending_dates:?}");

    // Every actor listed must take part: adding Putin leaves the three facts of his call.
    let putin = app.actor_id("Vladimir Putin").await;
    let with_putin = facts_matching(&app, json!({ "allOf": [russia, syria, putin] })).await;
    assert_eq!(labels(&with_putin), set(&[PHONE_CALL, SUPPORT_STATEMENT, AID_PLEDGE]));
}

async fn the_washington_post_is_no_participant_but_rt_published_all_ten(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let wapo = app.actor_id("The Washington Post").await;
    // The Post is in the data, as the publication a citation relays ...
    let all = facts_matching(&app, json!({})).await;
    let bases = all.iter().find(|f| label(f) == BASE_ACCESS).unwrap();
    assert_eq!(bases["citations"][0]["relayedFrom"]["name"], "The Washington Post");
    // ... but it takes part in no fact, and published no source.
    assert!(facts_matching(&app, json!({ "participants": [wapo] })).await.is_empty());
    assert!(facts_matching(&app, json!({ "allOf": [wapo] })).await.is_empty());
    assert!(facts_matching(&app, json!({ "outlets": [wapo] })).await.is_empty());

    let rt = app.actor_id("RT").await;
    let by_rt = facts_matching(&app, json!({ "outlets": [rt] })).await;
    assert_eq!(labels(&by_rt), set(&ALL_FACTS));
    assert!(facts_matching(&app, json!({ "participants": [rt] })).await.is_empty(), "RT is no participant either");
    // Lists match any of their values.
    let either = facts_matching(&app, json!({ "outlets": [wapo, rt] })).await;
    assert_eq!(either.len(), 10);
}

async fn subjects_and_objects_select_facts_by_the_role_played(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let syria = app.actor_id("Syria").await;
    let russia = app.actor_id("Russia").await;

    let syria_acts = facts_matching(&app, json!({ "subjects": [syria] })).await;
    assert_eq!(labels(&syria_acts), set(&[STRATEGIC_INTERESTS, BASE_ACCESS]));
    for fact in &syria_acts {
        assert!(names_with_role(fact, "SUBJECT").contains(&"Syria".to_owned()));
    }
    let syria_acted_upon = facts_matching(&app, json!({ "objects": [syria] })).await;
    assert_eq!(
        labels(&syria_acted_upon),
        set(&[
            SUPPORT_STATEMENT,
            AID_PLEDGE,
            BOGDANOV_VISIT,
            BOGDANOV_STATEMENT,
            HTS_OFFENSIVE,
            NEW_LEADER,
            ASSAD_FLIGHT
        ])
    );
    for fact in &syria_acted_upon {
        assert!(names_with_role(fact, "OBJECT").contains(&"Syria".to_owned()));
    }
    assert!(labels(&syria_acts).is_disjoint(&labels(&syria_acted_upon)));

    // Syria takes part in every demo fact: in the call as a PARTICIPANT, neither subject nor object.
    let syria_anyhow = facts_matching(&app, json!({ "participants": [syria] })).await;
    assert_eq!(labels(&syria_anyhow), set(&ALL_FACTS));

    let russia_acts = facts_matching(&app, json!({ "subjects": [russia] })).await;
    assert_eq!(labels(&russia_acts), set(&[SUPPORT_STATEMENT, AID_PLEDGE, BOGDANOV_VISIT, BOGDANOV_STATEMENT]));
    let russia_acted_upon = facts_matching(&app, json!({ "objects": [russia] })).await;
    assert_eq!(labels(&russia_acted_upon), set(&[STRATEGIC_INTERESTS, BASE_ACCESS]));

    // Lists are OR within a field: subjects Russia or Hayat Tahrir al-Sham.
    let hts = app.actor_id("Hayat Tahrir al-Sham").await;
    let either = facts_matching(&app, json!({ "subjects": [russia, hts] })).await;
    assert_eq!(
        labels(&either),
        set(&[SUPPORT_STATEMENT, AID_PLEDGE, BOGDANOV_VISIT, BOGDANOV_STATEMENT, HTS_OFFENSIVE])
    );
}

async fn kind_filter_finds_the_base_access_fact_with_its_qualifiers(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let facts = facts_matching(&app, json!({ "kinds": ["military.basing_access"] })).await;
    assert_eq!(labels(&facts), set(&[BASE_ACCESS]));
    assert_eq!(
        facts[0]["qualifiers"],
        json!([
            { "key": "facility", "value": "naval base" },
            { "key": "facility", "value": "air base" },
            { "key": "condition", "value": "provided it serves the Arab nation's interests" },
        ])
    );
    assert_eq!(names_with_role(&facts[0], "SPEAKER"), ["Murhaf Abu Qasra"]);

    let leadership = facts_matching(&app, json!({ "kinds": ["leadership.change", "leadership.flight"] })).await;
    assert_eq!(labels(&leadership), set(&[NEW_LEADER, ASSAD_FLIGHT]));
    assert!(facts_matching(&app, json!({ "kinds": ["diplomatic.agreement"] })).await.is_empty());
}

async fn category_filter_selects_the_kinds_of_that_category(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    for (category, expected) in [
        ("leadership", vec![NEW_LEADER, ASSAD_FLIGHT]),
        ("military", vec![HTS_OFFENSIVE, BASE_ACCESS]),
        ("diplomatic", vec![PHONE_CALL, BOGDANOV_VISIT]),
        ("policy", vec![SUPPORT_STATEMENT, BOGDANOV_STATEMENT, STRATEGIC_INTERESTS]),
        ("aid", vec![AID_PLEDGE]),
    ] {
        let facts = facts_matching(&app, json!({ "categories": [category] })).await;
        assert_eq!(labels(&facts), set(&expected), "{category}");
        assert!(facts.iter().all(|f| f["kind"]["category"] == category));
    }
    let two = facts_matching(&app, json!({ "categories": ["leadership", "aid"] })).await;
    assert_eq!(labels(&two), set(&[NEW_LEADER, ASSAD_FLIGHT, AID_PLEDGE]));
}

async fn country_filter_finds_what_happened_in_syria(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let facts = facts_matching(&app, json!({ "country": "SY" })).await;
    assert_eq!(
        labels(&facts),
        set(&[BOGDANOV_VISIT, BOGDANOV_STATEMENT, HTS_OFFENSIVE, NEW_LEADER, ASSAD_FLIGHT, BASE_ACCESS])
    );
    assert!(facts.iter().all(|f| f["country"] == "SY"));
    assert!(facts_matching(&app, json!({ "country": "RU" })).await.is_empty());
}

async fn occurred_range_covering_december_2024_finds_its_four_facts(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let december = facts_matching(&app, json!({ "occurredFrom": "2024-12-01", "occurredTo": "2024-12-31" })).await;
    assert_eq!(labels(&december), set(&[HTS_OFFENSIVE, NEW_LEADER, ASSAD_FLIGHT, STRATEGIC_INTERESTS]));

    // Both bounds are inclusive.
    let new_year = facts_matching(&app, json!({ "occurredFrom": "2025-01-01", "occurredTo": "2025-01-01" })).await;
    assert_eq!(labels(&new_year), set(&[BOGDANOV_VISIT, BOGDANOV_STATEMENT]));
    // One bound alone.
    let after_feb_1 = facts_matching(&app, json!({ "occurredFrom": "2025-02-02" })).await;
    assert_eq!(labels(&after_feb_1), set(&[PHONE_CALL, SUPPORT_STATEMENT, AID_PLEDGE]));
    let until_nov = facts_matching(&app, json!({ "occurredTo": "2024-11-30" })).await;
    assert!(until_nov.is_empty());
}

async fn search_finds_the_base_access_fact_by_stemmed_words_of_its_text(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    // "soil" is only in the quote; "served" matches "serves" only once stemmed.
    for search in ["naval bases", "NAVAL Bases", "naval, bases!", "Syrian soil", "served"] {
        let facts = facts_matching(&app, json!({ "search": search })).await;
        assert_eq!(labels(&facts), set(&[BASE_ACCESS]), "search {search:?}");
    }
}

async fn search_for_humanitarian_finds_the_aid_pledge(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let aid = facts_matching(&app, json!({ "search": "humanitarian" })).await;
    assert_eq!(labels(&aid), set(&[AID_PLEDGE]));
    assert_eq!(aid[0]["qualifiers"], json!([{ "key": "aid_type", "value": "humanitarian assistance" }]));
}

async fn search_requires_every_word_and_finds_nothing_for_an_absent_one(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    assert!(facts_matching(&app, json!({ "search": "zebra" })).await.is_empty());
    assert!(facts_matching(&app, json!({ "search": "naval zebra" })).await.is_empty(), "every word must match");
    // Search combines with the other filters like any of them.
    let syria = app.actor_id("Syria").await;
    assert!(facts_matching(&app, json!({ "search": "naval bases", "objects": [syria] })).await.is_empty());
    let found = facts_matching(&app, json!({ "search": "naval bases", "subjects": [syria] })).await;
    assert_eq!(labels(&found), set(&[BASE_ACCESS]));
}

async fn verified_only_keeps_all_ten_demo_facts(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let verified = facts_matching(&app, json!({ "verifiedOnly": true })).await;
    assert_eq!(labels(&verified), set(&ALL_FACTS));
    for fact in &verified {
        assert!(fact["citations"].as_array().unwrap().iter().any(|c| c["verified"] == true));
    }
    assert_eq!(facts_matching(&app, json!({ "verifiedOnly": false })).await.len(), 10);
}

async fn source_filter_keeps_the_ten_facts_citing_the_article(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let source = the_source_id(&app).await;
    let facts = facts_matching(&app, json!({ "sources": [source] })).await;
    assert_eq!(labels(&facts), set(&ALL_FACTS));
    for fact in &facts {
        assert!(fact["citations"].as_array().unwrap().iter().all(|c| c["source"]["url"] == DEMO_URL));
    }
    // A well-formed id of a source that does not exist matches nothing.
    let missing = URL_SAFE_NO_PAD.encode("Source:0194f8a0-0000-7000-8000-000000000000");
    assert!(facts_matching(&app, json!({ "sources": [missing] })).await.is_empty());
}

async fn filters_on_different_fields_must_all_match(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (russia, syria) = (app.actor_id("Russia").await, app.actor_id("Syria").await);
    let in_syria = facts_matching(&app, json!({ "allOf": [russia, syria], "country": "SY" })).await;
    assert_eq!(labels(&in_syria), set(&[BOGDANOV_VISIT, BOGDANOV_STATEMENT, BASE_ACCESS]));
    let statements =
        facts_matching(&app, json!({ "allOf": [russia, syria], "country": "SY", "categories": ["policy"] })).await;
    assert_eq!(labels(&statements), set(&[BOGDANOV_STATEMENT]));
    let none = facts_matching(
        &app,
        json!({ "allOf": [russia, syria], "occurredFrom": "2024-12-01", "occurredTo": "2024-12-31", "country": "SY" }),
    )
    .await;
    assert!(none.is_empty(), "the December fact with both took place nowhere in particular");
}

async fn total_count_equals_the_nodes_when_one_page_holds_them(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let russia = app.actor_id("Russia").await;
    for filter in [
        json!({}),
        json!({ "participants": [russia] }),
        json!({ "categories": ["leadership"] }),
        json!({ "country": "RU" }),
    ] {
        facts_matching(&app, filter).await;
    }
    // ... and counts the whole list, not the page, when it does not fit.
    let data =
        app.query_ok("{ facts(first: 3) { totalCount nodes { id } pageInfo { hasNextPage } } }", json!({})).await;
    assert_eq!(data["facts"]["totalCount"], 10);
    assert_eq!(data["facts"]["nodes"].as_array().unwrap().len(), 3);
    assert_eq!(data["facts"]["pageInfo"]["hasNextPage"], true);
}

async fn published_at_ascending_is_the_reverse_of_descending(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let ascending = facts_in_order(&app, json!({}), json!({ "field": "PUBLISHED_AT", "direction": "ASC" })).await;
    let descending = facts_in_order(&app, json!({}), json!({ "field": "PUBLISHED_AT", "direction": "DESC" })).await;
    assert_eq!(ascending.len(), 10);
    let mut reversed = ids(&descending);
    reversed.reverse();
    assert_eq!(ids(&ascending), reversed);
    let published: Vec<chrono::DateTime<chrono::Utc>> =
        ascending.iter().map(|f| f["publishedAt"].as_str().unwrap().parse().unwrap()).collect();
    assert!(published.windows(2).all(|w| w[0] <= w[1]), "oldest publication first: {published:?}");

    // The same holds for the occurred ordering, ties (same date) included.
    let ascending = facts_in_order(&app, json!({}), json!({ "field": "OCCURRED_AT", "direction": "ASC" })).await;
    let descending = facts_in_order(&app, json!({}), json!({ "field": "OCCURRED_AT", "direction": "DESC" })).await;
    let mut reversed = ids(&descending);
    reversed.reverse();
    assert_eq!(ids(&ascending), reversed);
    // The default is occurred, newest first.
    let default = facts_matching(&app, json!({})).await;
    assert_eq!(ids(&default), ids(&descending));
}

async fn actor_search_matches_aliases_case_insensitively(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let query = "query($s: String) { actors(filter: {search: $s}, first: 100) { nodes { name aliases } } }";
    for search in ["julani", "JULANI", "Abu Mohammad al-Julani", "  julani  "] {
        let data = app.query_ok(query, json!({ "s": search })).await;
        let actors = data["actors"]["nodes"].as_array().unwrap();
        assert_eq!(actors.len(), 1, "search {search:?}: {actors:?}");
        assert_eq!(actors[0]["name"], "Ahmed al-Sharaa");
        assert!(actors[0]["aliases"].as_array().unwrap().contains(&json!("Abu Mohammad al-Julani")));
    }
    let names = |data: &Value| -> Vec<String> {
        data["actors"]["nodes"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(names(&app.query_ok(query, json!({ "s": "moscow" })).await), ["Russia"]);
    assert_eq!(names(&app.query_ok(query, json!({ "s": "AL-SHARAA" })).await), ["Ahmed al-Sharaa", "Maher al-Sharaa"]);
    // LIKE wildcards in the search are taken literally.
    assert!(names(&app.query_ok(query, json!({ "s": "%" })).await).is_empty());
    assert!(names(&app.query_ok(query, json!({ "s": "_" })).await).is_empty());
}

async fn actor_kind_filter_lists_the_three_outlets_by_name(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let data = app
        .query_ok("{ actors(filter: {kinds: [MEDIA_OUTLET]}, first: 100) { nodes { name kind } } }", json!({}))
        .await;
    let outlets = data["actors"]["nodes"].as_array().unwrap();
    let names: Vec<&str> = outlets.iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Al Arabiya", "RT", "The Washington Post"]);
    assert!(outlets.iter().all(|a| a["kind"] == "MEDIA_OUTLET"));

    let data = app
        .query_ok(r#"{ actors(filter: {kinds: [STATE], country: "SY"}, first: 100) { nodes { name } } }"#, json!({}))
        .await;
    assert_eq!(data["actors"]["nodes"], json!([{ "name": "Syria" }]));
    let data = app.query_ok("{ actors(first: 100) { nodes { name } } }", json!({})).await;
    assert_eq!(data["actors"]["nodes"].as_array().unwrap().len(), 14);
}

async fn source_by_url_normalizes_the_url_before_looking_it_up(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let query = "query($url: String!) { sourceByUrl(url: $url) { id url outlet { name } facts { totalCount } } }";
    let messy = "HTTPS://ChattyThat.news/putin-talks-to-new-syrian-leadership-kremlin-438343.html?utm_source=x#frag";
    let data = app.query_ok(query, json!({ "url": messy })).await;
    let source = &data["sourceByUrl"];
    assert_eq!(source["id"], the_source_id(&app).await.as_str());
    assert_eq!(source["url"], DEMO_URL);
    assert_eq!(source["outlet"]["name"], "RT");
    assert_eq!(source["facts"]["totalCount"], 10);

    let data = app.query_ok(query, json!({ "url": "https://chattythat.news/some-other-article.html" })).await;
    assert_eq!(data["sourceByUrl"], Value::Null);
}

async fn actor_facts_count_the_facts_the_actor_takes_part_in(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let query = "query($id: ID!, $filter: FactFilterInput) {
        actor(id: $id) { name facts(filter: $filter) { totalCount nodes { participants { actor { name } } } } } }";
    for (name, expected) in [("Russia", 7), ("Syria", 10), ("Vladimir Putin", 3), ("The Washington Post", 0)] {
        let id = app.actor_id(name).await;
        let data = app.query_ok(query, json!({ "id": id })).await;
        let facts = data["actor"]["facts"]["nodes"].as_array().unwrap();
        assert_eq!(data["actor"]["facts"]["totalCount"], expected, "{name}");
        assert_eq!(facts.len(), expected, "{name}");
        assert!(facts.iter().all(|f| participant_names(f).contains(&name.to_owned())), "{name}");
        let as_participant = facts_matching(&app, json!({ "participants": [id] })).await;
        assert_eq!(as_participant.len(), expected, "{name}");
    }
    // An actor's facts take further filters.
    let russia = app.actor_id("Russia").await;
    let data = app.query_ok(query, json!({ "id": russia, "filter": { "kinds": ["aid.pledge"] } })).await;
    assert_eq!(data["actor"]["facts"]["totalCount"], 1);
}

async fn node_resolves_every_type_with_its_typename(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let data = app
        .query_ok(
            "{ facts(first: 1) { nodes { id } } sources(first: 1) { nodes { id } }
               factKinds { id key } }",
            json!({}),
        )
        .await;
    let fact = data["facts"]["nodes"][0]["id"].as_str().unwrap().to_owned();
    let source = data["sources"]["nodes"][0]["id"].as_str().unwrap().to_owned();
    let kind = data["factKinds"].as_array().unwrap().iter().find(|k| k["key"] == "military.basing_access").unwrap()
        ["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let actor = app.actor_id("Ahmed al-Sharaa").await;
    let query = "query($id: ID!) { node(id: $id) { __typename id
        ... on Fact { summary } ... on Actor { name } ... on Source { url } ... on FactKind { key } } }";
    for (id, typename, field, value) in [
        (&fact, "Fact", "summary", None),
        (&actor, "Actor", "name", Some("Ahmed al-Sharaa")),
        (&source, "Source", "url", Some(DEMO_URL)),
        (&kind, "FactKind", "key", Some("military.basing_access")),
    ] {
        let data = app.query_ok(query, json!({ "id": id })).await;
        let node = &data["node"];
        assert_eq!(node["__typename"], typename);
        assert_eq!(node["id"], id.as_str(), "ids round-trip");
        match value {
            Some(value) => assert_eq!(node[field], value),
            None => assert!(node[field].as_str().is_some_and(|s| !s.is_empty())),
        }
    }
}

async fn nodes_keep_the_order_asked_and_give_null_for_a_missing_fact(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let data = app.query_ok("{ facts(first: 2) { nodes { id } } factKinds { id } }", json!({})).await;
    let first = data["facts"]["nodes"][0]["id"].as_str().unwrap().to_owned();
    let second = data["facts"]["nodes"][1]["id"].as_str().unwrap().to_owned();
    let kind = data["factKinds"][0]["id"].as_str().unwrap().to_owned();
    let actor = app.actor_id("RT").await;
    let source = the_source_id(&app).await;
    let missing_fact = URL_SAFE_NO_PAD.encode("Fact:0194f8a0-0000-7000-8000-000000000000");
    let missing_kind = URL_SAFE_NO_PAD.encode("FactKind:no.such_kind");
    let asked = [&second, &actor, &missing_fact, &source, &first, &kind, &missing_kind, &second];
    let data =
        app.query_ok("query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }", json!({ "ids": asked })).await;
    let nodes = data["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), asked.len());
    let expected_types = ["Fact", "Actor", "", "Source", "Fact", "FactKind", "", "Fact"];
    for ((node, id), typename) in nodes.iter().zip(asked).zip(expected_types) {
        if typename.is_empty() {
            assert_eq!(*node, Value::Null, "{id}");
        } else {
            assert_eq!(node["id"], id.as_str());
            assert_eq!(node["__typename"], typename);
        }
    }
    let data = app.query_ok("{ nodes(ids: []) { id } }", json!({})).await;
    assert_eq!(data["nodes"], json!([]));
}

async fn fact_kinds_list_the_shipped_vocabulary(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let data = app
        .query_ok(
            "{ factKinds { id key label description category symmetric allowedQualifiers requiredQualifiers
                 allowedRoles cameoCode } }",
            json!({}),
        )
        .await;
    let kinds = data["factKinds"].as_array().unwrap();
    let keys: Vec<&str> = kinds.iter().map(|k| k["key"].as_str().unwrap()).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "sorted by key");
    for required in [
        "diplomatic.phone_call",
        "diplomatic.visit",
        "diplomatic.agreement",
        "policy.support_statement",
        "policy.statement",
        "aid.pledge",
        "military.basing_access",
        "military.armed_attack",
        "diplomatic.invitation",
        "diplomatic.treaty",
        "diplomatic.recognition",
        "diplomatic.ambassador_recall",
        "diplomatic.expulsion",
        "diplomatic.summit",
        "diplomatic.vote",
        "economic.sanctions_imposed",
        "economic.sanctions_lifted",
        "military.arms_transfer",
        "military.deployment",
        "military.withdrawal",
        "military.ceasefire",
        "aid.delivery",
        "policy.threat",
        "policy.condemnation",
        "humanitarian.prisoner_exchange",
    ] {
        assert!(keys.contains(&required), "{required} is shipped: {keys:?}");
    }
    let code = |key: &str| kinds.iter().find(|k| k["key"] == key).unwrap()["cameoCode"].clone();
    assert_eq!(code("economic.sanctions_imposed"), "163");
    assert_eq!(code("military.ceasefire"), "0871");
    assert!(code("diplomatic.vote").is_null(), "no CAMEO code fits a vote");
    let vote = kinds.iter().find(|k| k["key"] == "diplomatic.vote").unwrap();
    assert_eq!(vote["requiredQualifiers"], json!(["body", "vote"]));
    for kind in kinds {
        let key = kind["key"].as_str().unwrap();
        assert!(kind["label"].as_str().is_some_and(|l| !l.trim().is_empty()), "{key} has a label");
        assert!(kind["description"].as_str().is_some_and(|d| !d.trim().is_empty()), "{key} has a description");
        assert_eq!(kind["category"], key.split('.').next().unwrap(), "{key}: category is the key's prefix");
        assert!(!kind["allowedRoles"].as_array().unwrap().is_empty(), "{key} admits some role");
        for required in kind["requiredQualifiers"].as_array().unwrap() {
            assert!(kind["allowedQualifiers"].as_array().unwrap().contains(required), "{key}: {required}");
        }
    }
    let basing = kinds.iter().find(|k| k["key"] == "military.basing_access").unwrap();
    assert_eq!(basing["requiredQualifiers"], json!(["facility"]));
    assert_eq!(basing["category"], "military");
    assert_eq!(basing["label"], "Military basing access");
    let call = kinds.iter().find(|k| k["key"] == "diplomatic.phone_call").unwrap();
    assert_eq!(call["symmetric"], true);

    let data = app.query_ok(r#"{ factKinds(category: "leadership") { key } }"#, json!({})).await;
    assert_eq!(data["factKinds"], json!([{ "key": "leadership.change" }, { "key": "leadership.flight" }]));
    let data = app.query_ok(r#"{ factKinds(category: "astrology") { key } }"#, json!({})).await;
    assert_eq!(data["factKinds"], json!([]));
}

/// `statuses` narrows a list to current facts; the public may not ask for what it never sees.
async fn statuses_narrow_the_public_record_to_current_facts(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let reviewer = app.login("reviewer@demo.chancery", "demo-reviewer-password").await;
    let call = app
        .query_ok(r#"{ facts(filter: {kinds: ["diplomatic.phone_call"]}) { nodes { id version } } }"#, json!({}))
        .await;
    let (id, version) = (call["facts"]["nodes"][0]["id"].clone(), call["facts"]["nodes"][0]["version"].clone());
    app.ok_as(
        &reviewer,
        "mutation($id: ID!, $v: Int!) { retractFact(input: {id: $id, expectedVersion: $v, reason: \"Test retraction.\"}) \
         { fact { status } } }",
        json!({ "id": id, "v": version }),
    )
    .await;
    let count = |filter: Value| {
        let app = &app;
        async move {
            let data = app
                .query_ok("query($f: FactFilterInput) { facts(filter: $f) { totalCount } }", json!({ "f": filter }))
                .await;
            data["facts"]["totalCount"].as_i64().unwrap()
        }
    };
    assert_eq!(count(json!(null)).await, 10, "every public status by default");
    assert_eq!(count(json!({ "statuses": ["PUBLISHED"] })).await, 9, "current facts only");
    assert_eq!(count(json!({ "statuses": ["RETRACTED", "SUPERSEDED"] })).await, 1);
    let refused = app
        .graphql(
            "query($f: FactFilterInput) { facts(filter: $f) { totalCount } }",
            json!({ "f": { "statuses": ["PUBLISHED", "DRAFT"] } }),
        )
        .await;
    assert_bad_input(&refused, "filter.statuses[1]");
    let editor = app.login("editor@demo.chancery", "demo-editor-password").await;
    let own = app.ok_as(&editor, r#"{ myFacts(filter: {statuses: [DRAFT]}) { totalCount } }"#, json!({})).await;
    assert_eq!(own["myFacts"]["totalCount"], 0, "an editor's own list may ask for drafts");
}

backend_tests!(
    statuses_narrow_the_public_record_to_current_facts,
    all_of_russia_and_syria_gives_the_seven_facts_both_take_part_in_newest_first,
    the_washington_post_is_no_participant_but_rt_published_all_ten,
    subjects_and_objects_select_facts_by_the_role_played,
    kind_filter_finds_the_base_access_fact_with_its_qualifiers,
    category_filter_selects_the_kinds_of_that_category,
    country_filter_finds_what_happened_in_syria,
    occurred_range_covering_december_2024_finds_its_four_facts,
    search_finds_the_base_access_fact_by_stemmed_words_of_its_text,
    search_for_humanitarian_finds_the_aid_pledge,
    search_requires_every_word_and_finds_nothing_for_an_absent_one,
    verified_only_keeps_all_ten_demo_facts,
    source_filter_keeps_the_ten_facts_citing_the_article,
    filters_on_different_fields_must_all_match,
    total_count_equals_the_nodes_when_one_page_holds_them,
    published_at_ascending_is_the_reverse_of_descending,
    actor_search_matches_aliases_case_insensitively,
    actor_kind_filter_lists_the_three_outlets_by_name,
    source_by_url_normalizes_the_url_before_looking_it_up,
    actor_facts_count_the_facts_the_actor_takes_part_in,
    node_resolves_every_type_with_its_typename,
    nodes_keep_the_order_asked_and_give_null_for_a_missing_fact,
    fact_kinds_list_the_shipped_vocabulary,
);
