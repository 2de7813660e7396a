//! The committed `schema.graphql` is the schema the code serves, and every part of it is described.
use async_graphql::{EmptyMutation, EmptySubscription};

const SCHEMA_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");

#[test]
fn committed_schema_matches_the_code() {
    let generated = chancery::graphql::sdl();
    if std::env::var("UPDATE_SCHEMA").is_ok() {
        std::fs::write(SCHEMA_PATH, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(SCHEMA_PATH).unwrap_or_default();
    assert!(
        committed == generated,
        "schema.graphql is stale: run `cargo run -q -- schema > schema.graphql` (or UPDATE_SCHEMA=1 cargo test --test schema)"
    );
}

#[tokio::test]
async fn every_type_field_argument_and_enum_value_has_a_description() {
    let _ = (EmptyMutation, EmptySubscription);
    let schema = chancery::graphql::build_schema(None, Default::default());
    let response = schema
        .execute(
            "{ __schema { types { name kind description
                 fields { name description args { name description } }
                 inputFields { name description }
                 enumValues { name description } } } }",
        )
        .await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().unwrap();
    let mut missing = Vec::new();
    let described = |v: &serde_json::Value| v.as_str().is_some_and(|d| !d.trim().is_empty());
    for ty in data["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        if name.starts_with("__") || ["String", "Int", "Float", "Boolean", "ID"].contains(&name) {
            continue;
        }
        if !described(&ty["description"]) {
            missing.push(name.to_owned());
        }
        for field in ty["fields"].as_array().into_iter().flatten() {
            if !described(&field["description"]) {
                missing.push(format!("{name}.{}", field["name"]));
            }
            for arg in field["args"].as_array().into_iter().flatten() {
                if !described(&arg["description"]) {
                    missing.push(format!("{name}.{}({})", field["name"], arg["name"]));
                }
            }
        }
        for list in ["inputFields", "enumValues"] {
            for item in ty[list].as_array().into_iter().flatten() {
                if !described(&item["description"]) {
                    missing.push(format!("{name}.{}", item["name"]));
                }
            }
        }
    }
    assert!(missing.is_empty(), "undescribed schema elements: {missing:#?}");
}

/// Scalars are described for clients, not in terms of the Rust types behind them, and say
/// which specification their text follows where one exists.
#[tokio::test]
async fn scalars_are_described_for_clients_with_their_specification() {
    let schema = chancery::graphql::build_schema(None, Default::default());
    let response = schema.execute("{ __schema { types { name kind description specifiedByURL } } }").await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().unwrap();
    let scalar =
        |name: &str| data["__schema"]["types"].as_array().unwrap().iter().find(|t| t["name"] == name).cloned().unwrap();
    let date_time = scalar("DateTime");
    assert_eq!(date_time["specifiedByURL"], "https://datatracker.ietf.org/doc/html/rfc3339");
    let date = scalar("NaiveDate");
    assert_eq!(date["specifiedByURL"], "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6");
    for ty in [&date_time, &date] {
        let description = ty["description"].as_str().unwrap();
        for rust in ["Implement", "DateTime<", "%Y", "Utc>"] {
            assert!(!description.contains(rust), "{}: {description}", ty["name"]);
        }
    }
    assert!(date["description"].as_str().unwrap().contains("YYYY-MM-DD"));
    assert!(date_time["description"].as_str().unwrap().contains("RFC 3339"));
}

/// The schema's type named by an introspected type reference, unwrapping NON_NULL and LIST.
fn named(reference: &serde_json::Value) -> (bool, String) {
    let non_null = reference["kind"] == "NON_NULL";
    let mut current = reference;
    while current["name"].is_null() {
        current = &current["ofType"];
    }
    (non_null, current["name"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn every_mutation_takes_one_input_and_returns_its_payload() {
    let schema = chancery::graphql::build_schema(None, Default::default());
    let response = schema
        .execute(
            "{ __schema { mutationType { fields { name
                 args { name type { kind name ofType { kind name } } }
                 type { kind name ofType { kind name } } } } } }",
        )
        .await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().unwrap();
    let mut wrong = Vec::new();
    for field in data["__schema"]["mutationType"]["fields"].as_array().unwrap() {
        let name = field["name"].as_str().unwrap();
        let capitalized = format!("{}{}", name[..1].to_uppercase(), &name[1..]);
        let args = field["args"].as_array().unwrap();
        let input_ok = args.len() == 1
            && args[0]["name"] == "input"
            && named(&args[0]["type"]) == (true, format!("{capitalized}Input"));
        // The vocabulary's three mutations share one payload, `FactKindPayload`.
        let payload = named(&field["type"]);
        let payload_ok = payload.0 && payload.1.ends_with("Payload");
        if !input_ok || !payload_ok {
            wrong.push(format!("{name}({args:?}) -> {payload:?}"));
        }
    }
    assert!(wrong.is_empty(), "mutations not in the `input:` → `…Payload` form: {wrong:#?}");
}
