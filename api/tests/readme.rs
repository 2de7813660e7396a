//! Every example query in the README works as pasted on the demo data.
mod support;

use serde_json::json;
use support::{Backend, TestApp};

const README: &str = include_str!("../../README.md");

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

backend_tests!(readme_examples_work_as_pasted);
