//! Every example query in the README works as pasted on the demo data.
use crate::support;

use crate::support::{Backend, TestApp};
use serde_json::json;

const README: &str = include_str!("../../../README.md");

fn example_queries() -> Vec<String> {
    let section = README.split("### Example queries").nth(1).expect("README has an examples section");
    let section = section.split("\n## ").next().unwrap();
    section.split("```graphql").skip(1).map(|block| block.split("```").next().unwrap().to_owned()).collect()
}

async fn readme_examples_work_as_pasted(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let queries = example_queries();
    assert!(queries.len() >= 5, "the README shows its examples");
    for query in &queries {
        let data = app.query_ok(query, json!({})).await;
        let text = data.to_string();
        assert!(!text.contains("[]") || text.contains("nodes\":[{"), "example returns facts: {query}\n{data:#}");
    }
    let relations = app.query_ok(&queries[0], json!({})).await;
    assert_eq!(relations["facts"]["totalCount"], 7, "Russia–Syria relations in the demo");
    let search = app.query_ok(&queries[1], json!({})).await;
    assert_eq!(search["facts"]["nodes"].as_array().unwrap().len(), 1);
    let by_url = app.query_ok(&queries[3], json!({})).await;
    assert_eq!(by_url["sourceByUrl"]["facts"]["totalCount"], 10);
}

fn walkthrough_operations() -> Vec<String> {
    let section = README.split("## The editorial workflow in GraphiQL").nth(1).expect("README has a walk-through");
    let section = section.split("\n## ").next().unwrap();
    section.split("```graphql").skip(1).map(|block| block.split("```").next().unwrap().to_owned()).collect()
}

async fn readme_walkthrough_works_end_to_end(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let ops = walkthrough_operations();
    assert_eq!(ops.len(), 9, "login, source, fact, submit, self-approval, reviewer login, queue, approve, public");
    let editor = app.query_ok(&ops[0], json!({})).await["login"]["token"].as_str().unwrap().to_owned();
    let source = app.ok_as(&editor, &ops[1], json!({})).await;
    let source_id = source["createSource"]["source"]["id"].as_str().unwrap().to_owned();
    let create = ops[2].replace("<source id from step 2>", &source_id);
    let fact = app.ok_as(&editor, &create, json!({})).await;
    assert_eq!(fact["createFact"]["fact"]["citations"][0]["verified"], true);
    let fact_id = fact["createFact"]["fact"]["id"].as_str().unwrap().to_owned();
    let retried = app.ok_as(&editor, &create, json!({})).await;
    assert_eq!(retried["createFact"]["fact"]["id"], fact_id.as_str(), "the idempotency key makes the retry safe");
    let submitted = app.ok_as(&editor, &ops[3].replace("<fact id>", &fact_id), json!({})).await;
    assert_eq!(submitted["submitFact"]["fact"]["status"], "IN_REVIEW");
    let refused = app.graphql_as(&editor, &ops[4].replace("<fact id>", &fact_id), json!({})).await;
    assert_eq!(support::single_error(&refused).0, "FORBIDDEN");
    let reviewer = app.query_ok(&ops[5], json!({})).await["login"]["token"].as_str().unwrap().to_owned();
    let queue = app.ok_as(&reviewer, &ops[6], json!({})).await;
    assert_eq!(queue["reviewQueue"]["nodes"][0]["id"], fact_id.as_str());
    let approved = app.ok_as(&reviewer, &ops[7].replace("<fact id>", &fact_id), json!({})).await;
    assert_eq!(approved["reviewFact"]["fact"]["status"], "PUBLISHED");
    let public = app.query_ok(&ops[8], json!({})).await;
    let nodes = public["facts"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 1);
    let actions: Vec<_> = nodes[0]["history"].as_array().unwrap().iter().map(|r| r["action"].clone()).collect();
    assert_eq!(actions, vec![json!("CREATED"), json!("SUBMITTED"), json!("APPROVED")]);
}

fn corroboration_operations() -> Vec<String> {
    let section =
        README.split("## Adding a second outlet's report to a published fact").nth(1).expect("README has the section");
    let section = section.split("\n## ").next().unwrap();
    section.split("```graphql").skip(1).map(|block| block.split("```").next().unwrap().to_owned()).collect()
}

async fn readme_corroboration_adds_a_second_outlet_to_the_same_fact(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let ops = corroboration_operations();
    assert_eq!(ops.len(), 6, "source, propose, reviewer login, pending, approve, public");
    let editor = app.login("editor@demo.chancery", "demo-editor-password").await;
    let source =
        app.ok_as(&editor, &ops[0], json!({})).await["createSource"]["source"]["id"].as_str().unwrap().to_owned();
    let proposed = app.ok_as(&editor, &ops[1].replace("<source id from step 1>", &source), json!({})).await;
    assert_eq!(proposed["proposeCitation"]["citation"]["status"], "PENDING");
    assert_eq!(proposed["proposeCitation"]["fact"]["outletCount"], 1, "a proposal is not evidence yet");
    let version = proposed["proposeCitation"]["fact"]["version"].as_i64().unwrap();
    let citation = proposed["proposeCitation"]["citation"]["id"].as_str().unwrap().to_owned();
    let before = app.query_ok(&ops[5], json!({})).await;
    assert_eq!(before["fact"]["citations"].as_array().unwrap().len(), 2, "the public sees no pending citation");
    let reviewer = app.query_ok(&ops[2], json!({})).await["login"]["token"].as_str().unwrap().to_owned();
    let pending = app.ok_as(&reviewer, &ops[3], json!({})).await;
    assert_eq!(pending["reviewQueue"]["totalCount"], 1, "the proposal is all that waits");
    assert_eq!(pending["reviewQueue"]["nodes"][0]["__typename"], "Citation");
    assert_eq!(pending["reviewQueue"]["nodes"][0]["id"], citation.as_str());
    let context = &pending["reviewQueue"]["nodes"][0]["quoteInContext"];
    assert_eq!(context["before"], "Russian President ");
    assert_eq!(context["after"], ", their first call since December.");
    let approved = app.ok_as(&reviewer, &ops[4].replace("<citation id from step 2>", &citation), json!({})).await;
    assert_eq!(approved["reviewCitation"]["citation"]["status"], "ACTIVE");
    assert_eq!(approved["reviewCitation"]["fact"]["version"], version + 1);
    assert_eq!(approved["reviewCitation"]["fact"]["outletCount"], 2);
    let public = app.query_ok(&ops[5], json!({})).await;
    assert_eq!(public["fact"]["outletCount"], 2, "{public:#}");
    assert_eq!(public["fact"]["citations"].as_array().unwrap().len(), 3);
    let actions: Vec<_> = public["fact"]["history"].as_array().unwrap().iter().map(|r| r["action"].clone()).collect();
    assert_eq!(actions.last(), Some(&json!("CITATION_ADDED")), "{actions:?}");
    let (intact, stdout, stderr) = app.verify_history_cli(&[]).await;
    assert!(intact, "the chain verifies with the citation added: {stdout} {stderr}");
}

backend_tests!(
    readme_examples_work_as_pasted,
    readme_walkthrough_works_end_to_end,
    readme_corroboration_adds_a_second_outlet_to_the_same_fact
);
