//! The layering of `api/src`, checked on its source: no two modules import each other (through
//! any chain), and the domain knows nothing of GraphQL or HTTP. A change that breaks either
//! fails here, before it spreads.
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const SOURCE_ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// Every module of the crate (`domain::fact::store`), with its source minus unit tests and comments.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, found: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).expect("the source tree is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let relative = path.strip_prefix(SOURCE_ROOT).unwrap().with_extension("");
                let mut parts: Vec<String> =
                    relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
                if parts.last().is_some_and(|last| last == "mod" || last == "lib" || last == "main") {
                    parts.pop();
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                let code: String =
                    code.lines().map(|line| line.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n");
                found.insert(parts.join("::"), code);
            }
        }
    }
    let mut found = BTreeMap::new();
    walk(Path::new(SOURCE_ROOT), &mut found);
    found
}

/// The modules `module` imports: each `crate::…` or `super::…` path, resolved to the longest
/// module it names (an item's path resolves to the module holding it).
fn imports(module: &str, code: &str, all: &BTreeMap<String, String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let bytes: Vec<char> = code.chars().collect();
    let mut index = 0;
    while index < bytes.len() {
        let rest: String = bytes[index..bytes.len().min(index + 7)].iter().collect();
        let starts_path = (rest.starts_with("crate::") || rest.starts_with("super::"))
            && (index == 0
                || !(bytes[index - 1].is_alphanumeric() || bytes[index - 1] == '_' || bytes[index - 1] == ':'));
        if !starts_path {
            index += 1;
            continue;
        }
        let mut end = index;
        while end < bytes.len() && (bytes[end].is_alphanumeric() || bytes[end] == '_' || bytes[end] == ':') {
            end += 1;
        }
        let path: String = bytes[index..end].iter().collect();
        index = end;
        let mut segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        let mut base: Vec<&str> = if module.is_empty() { vec![] } else { module.split("::").collect() };
        if segments[0] == "crate" {
            base.clear();
            segments.remove(0);
        } else {
            while segments.first() == Some(&"super") {
                base.pop();
                segments.remove(0);
            }
        }
        let target = (0..=segments.len())
            .rev()
            .map(|n| [base.clone(), segments[..n].to_vec()].concat().join("::"))
            .find(|candidate| all.contains_key(candidate));
        if let Some(target) = target {
            let related = target.is_empty()
                || target == module
                || target.starts_with(&format!("{module}::"))
                || module.starts_with(&format!("{target}::"));
            if !related {
                found.insert(target);
            }
        }
    }
    found
}

fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let all = modules();
    all.iter().map(|(module, code)| (module.clone(), imports(module, code, &all))).collect()
}

#[test]
fn no_two_modules_of_api_src_import_each_other() {
    let graph = import_graph();
    assert!(graph.len() > 40, "the walk found the modules: {:?}", graph.keys());
    // Depth-first search for a path back to where it started.
    fn path_back(
        graph: &BTreeMap<String, BTreeSet<String>>,
        start: &str,
        at: &str,
        seen: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> bool {
        for next in graph.get(at).into_iter().flatten() {
            path.push(next.clone());
            if next == start || (seen.insert(next.clone()) && path_back(graph, start, next, seen, path)) {
                return true;
            }
            path.pop();
        }
        false
    }
    for module in graph.keys() {
        let mut path = vec![module.clone()];
        let found = path_back(&graph, module, module, &mut BTreeSet::new(), &mut path);
        assert!(!found, "an import loop: {}", path.join(" -> "));
    }
}

#[test]
fn the_domain_imports_neither_graphql_nor_http() {
    let graph = import_graph();
    for (module, imported) in graph.iter().filter(|(module, _)| module.starts_with("domain")) {
        for target in imported {
            let layer = target.split("::").next().unwrap_or_default();
            assert!(!matches!(layer, "graphql" | "http" | "app" | "cli" | "demo"), "{module} imports {target}");
        }
    }
}

#[test]
fn config_and_auth_import_nothing_from_the_layers_above() {
    let graph = import_graph();
    for (module, imported) in &graph {
        let layer = module.split("::").next().unwrap_or_default();
        let allowed: &[&str] = match layer {
            "config" => &[],
            "auth" => &["config"],
            _ => continue,
        };
        for target in imported {
            let target_layer = target.split("::").next().unwrap_or_default();
            assert!(target_layer == layer || allowed.contains(&target_layer), "{module} imports {target}");
        }
    }
}
