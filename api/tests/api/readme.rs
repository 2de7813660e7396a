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

/// The README's incremental export, run with bash and curl as written (the server's address
/// replaced by the test server's): the first pull, then `since` the cursor it left in
/// `headers.txt`, then, after a publication, the same two lines again.
async fn readme_incremental_export_works_as_pasted(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let section = README.split("### Bulk exports").nth(1).expect("README has a bulk export section");
    let block = section.split("```sh\n").nth(1).unwrap().split("```").next().unwrap();
    let lines: Vec<&str> = block.lines().collect();
    assert_eq!(lines.len(), 3, "first pull, cursor, pull since: {block}");
    assert!(lines[0].contains("http://127.0.0.1:8080/export/facts.ndjson"), "{block}");
    let dir = std::env::temp_dir().join(format!("chancery-readme-export-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = |script: String| {
        let script = script.replace("http://127.0.0.1:8080", &app.base_url);
        let dir = dir.clone();
        async move {
            let output = tokio::process::Command::new("bash")
                .args(["-euo", "pipefail", "-c", &script])
                .current_dir(&dir)
                .output()
                .await
                .expect("bash runs");
            assert!(output.status.success(), "{script}\n{}", String::from_utf8_lossy(&output.stderr));
        }
    };
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    run(block.to_owned()).await;
    assert_eq!(read("facts.ndjson").lines().count(), 10, "the demo's ten facts");
    assert_eq!(read("changed.ndjson"), "", "nothing changed since the first pull");

    let (id, _) = crate::export::published_fact(&app, "A visit the second pull brings.").await;
    run(lines[1..].join("\n")).await;
    let changed = read("changed.ndjson");
    let ids: Vec<String> = changed
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, [id], "the new fact and nothing else");
    run(lines[1..].join("\n")).await;
    assert_eq!(read("changed.ndjson"), "", "and the pull after it is empty");
    std::fs::remove_dir_all(&dir).unwrap();
}

backend_tests!(
    readme_incremental_export_works_as_pasted,
    readme_examples_work_as_pasted,
    readme_walkthrough_works_end_to_end,
    readme_corroboration_adds_a_second_outlet_to_the_same_fact
);

/// The README's "Running on Postgres" block: its SQL run as a superuser, its exports, its server
/// command. Role and database get names of this test's own (a developer's own `chancery`
/// database is never touched); everything else is as written.
#[tokio::test]
#[cfg_attr(not(postgres_tests), ignore = "TEST_DATABASE_URL was not set when the tests were built")]
async fn readme_postgres_path_works_as_written() {
    use sea_orm::{ConnectionTrait, Database};
    let section = README.split("## Running on Postgres").nth(1).expect("README has a Postgres section");
    let block = section.split("```sh\n").nth(1).unwrap().split("```").next().unwrap();
    let sql = block.split("<<'SQL'\n").nth(1).expect("the SQL is a here-document").split("\nSQL\n").next().unwrap();
    let exports: Vec<(&str, &str)> = block
        .lines()
        .filter_map(|line| line.strip_prefix("export "))
        .map(|line| line.split_once('=').unwrap())
        .collect();
    let command = block.lines().last().unwrap();
    assert!(block.starts_with("sudo -u postgres psql -v ON_ERROR_STOP=1 <<'SQL'"), "{block}");
    assert_eq!(exports.iter().map(|(name, _)| *name).collect::<Vec<_>>(), ["DATABASE_URL", "CHANCERY_JWT_SECRET"]);
    assert_eq!(exports[1].1, "$(openssl rand -hex 32)");
    let serve_args = command.strip_prefix("cargo run --release -- ").expect("the server is started by cargo run");

    let admin_url = support::postgres_url().unwrap();
    let name = format!("chancery_tr_{}_readme", std::process::id());
    let admin = Database::connect(&admin_url).await.unwrap();
    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.unwrap();
    admin.execute_unprepared(&format!("DROP ROLE IF EXISTS {name}")).await.unwrap();
    for statement in sql.split(';').map(str::trim).filter(|statement| !statement.is_empty()) {
        let statement = statement.replace("chancery", &name);
        admin.execute_unprepared(&statement).await.unwrap_or_else(|error| panic!("{statement}: {error}"));
    }

    // The URL as written, with this test's names and the test server's host and port.
    let written = url::Url::parse(exports[0].1).unwrap();
    let server = url::Url::parse(&admin_url).unwrap();
    let mut database_url = written.clone();
    database_url.set_username(&name).unwrap();
    database_url.set_path(&format!("/{name}"));
    database_url.set_host(server.host_str()).unwrap();
    database_url.set_port(server.port()).unwrap();
    assert_eq!((written.username(), written.path()), ("chancery", "/chancery"));
    use password_hash::rand_core::{OsRng, RngCore};
    let mut secret = [0u8; 32];
    OsRng.fill_bytes(&mut secret);

    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chancery"))
        .args(serve_args.split_whitespace())
        .env("DATABASE_URL", database_url.as_str())
        .env("CHANCERY_JWT_SECRET", hex::encode(secret))
        .env("CHANCERY_BIND", "127.0.0.1:0")
        .env("CHANCERY_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let graphql = loop {
        let line = lines.next().expect("the server says where GraphiQL is").unwrap();
        if let Some(rest) = line.split("serving GraphiQL at ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // The desk's address is printed next to GraphiQL's, as the README says.
    let desk_line = lines.next().expect("the server says where the desk is").unwrap();
    let desk = graphql.replace("/graphql", "/desk");
    assert_eq!(desk_line, format!("Chancery is serving the editorial desk at {desk}"));
    std::thread::spawn(move || lines.for_each(drop));
    let client = reqwest::Client::new();
    let desk_page = client.get(&desk).send().await.unwrap();
    assert_eq!(desk_page.status(), 200, "{desk}");
    let post = |query: &'static str| {
        let request = client.post(&graphql).json(&json!({ "query": query }));
        async move { request.send().await.unwrap().json::<serde_json::Value>().await.unwrap() }
    };
    let facts = post("{ facts { totalCount } }").await;
    let login = post(
        r#"mutation { login(input: {email: "editor@demo.chancery", password: "demo-editor-password"}) { token } }"#,
    )
    .await;
    let _ = child.kill();
    let _ = child.wait();
    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.unwrap();
    admin.execute_unprepared(&format!("DROP ROLE IF EXISTS {name}")).await.unwrap();
    assert!(facts["data"]["facts"]["totalCount"].as_i64().unwrap_or(0) > 0, "the demo facts are served: {facts:#}");
    assert!(login["data"]["login"]["token"].is_string(), "tokens are signed with the secret: {login:#}");
}
