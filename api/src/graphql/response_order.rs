//! The fields of an answer in the order the query asked for them.
//!
//! The GraphQL specification orders a response object's fields as its selection set collects
//! them (CollectFields: document order, fragments expanded where they apply). async-graphql
//! resolves a query's fields concurrently and adds each to the object as it completes, so
//! `{ a: …, b: …, c: … }` comes back as `b, c, a` whenever `a` waits on the database longest.
//! The library offers no ordered mode for queries, so the executed answer is put back in
//! order here: each object's keys are sorted by the collected order of its selection sets.
use std::collections::HashMap;
use std::rc::Rc;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Directive, ExecutableDocument, Field, Selection, SelectionSet};
use async_graphql::registry::{MetaTypeName, Registry};
use async_graphql::{Name, Positioned, Value, Variables};

use super::operation::selected_operation;

/// Sorts the fields of every object of `data`, the answer to `operation_name` of `document`.
pub fn order_answer(
    data: &mut Value,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
    registry: &Registry,
) {
    let Some(operation) = selected_operation(document, operation_name) else { return };
    let Some(root) = super::operation::root_type(registry, operation.node.ty) else { return };
    let mut orderer = Orderer { document, variables, registry, collected: HashMap::new() };
    orderer.order(data, root, &[&operation.node.selection_set.node]);
}

/// A field of a selection set as collected for one object type, in the collected order.
struct CollectedField<'a> {
    /// The response key (alias or name).
    key: Name,
    /// For a field with a selection set: the type it returns and the selection sets of every
    /// field selected under this key (one key may be selected several times, e.g. in fragments).
    child: Option<(&'a str, Vec<&'a SelectionSet>)>,
}

/// The response keys of a selection set for one object type, in CollectFields order.
type Collected<'a> = Vec<CollectedField<'a>>;

struct Orderer<'a> {
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    registry: &'a Registry,
    /// Collected fields by (selection sets, object type): the nodes of a list share them.
    collected: HashMap<(u64, usize, &'a str), Rc<Collected<'a>>>,
}

/// Response keys are the document's own names (shared `Arc`s), so most comparisons are one
/// pointer comparison.
fn same_key(a: &Name, b: &Name) -> bool {
    std::ptr::eq(a.as_str(), b.as_str()) || a == b
}

impl<'a> Orderer<'a> {
    fn order(&mut self, value: &mut Value, type_name: &'a str, sets: &[&'a SelectionSet]) {
        match value {
            Value::List(items) => {
                for item in items {
                    self.order(item, type_name, sets);
                }
            }
            Value::Object(object) => {
                let Some(object_type) = self.object_type(object, type_name, sets) else { return };
                let collected = self.collect_cached(object_type, sets);
                if !in_collected_order(object, &collected) {
                    let mut unordered = std::mem::take(object);
                    for field in collected.iter() {
                        if let Some((key, field_value)) = unordered.swap_remove_entry(&field.key) {
                            object.insert(key, field_value);
                        }
                    }
                    object.extend(unordered);
                }
                let mut fields = collected.iter();
                for (key, field_value) in object.iter_mut() {
                    let Some(field) = fields.find(|field| same_key(&field.key, key)) else { break };
                    if let Some((child_type, child_sets)) = &field.child {
                        self.order(field_value, child_type, child_sets);
                    }
                }
            }
            _ => {}
        }
    }

    /// The object type of an object at a position of type `type_name`: the type itself, or for an
    /// interface or a union its `__typename` when asked for, else the first possible type whose
    /// collected fields cover the object's keys.
    fn object_type(
        &mut self,
        object: &IndexMap<Name, Value>,
        type_name: &'a str,
        sets: &[&'a SelectionSet],
    ) -> Option<&'a str> {
        let registry = self.registry;
        let meta = registry.types.get(type_name)?;
        let Some(possible) = meta.possible_types() else { return Some(meta.name()) };
        if let Some(Value::String(typename)) = object.get("__typename") {
            if let Some(found) = possible.get(typename.as_str()) {
                return Some(found.as_str());
            }
        }
        possible.iter().map(String::as_str).find(|candidate| {
            let collected = self.collect_cached(candidate, sets);
            object.keys().all(|key| collected.iter().any(|field| same_key(&field.key, key)))
        })
    }

    fn collect_cached(&mut self, object_type: &'a str, sets: &[&'a SelectionSet]) -> Rc<Collected<'a>> {
        let identity = sets.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, set| {
            (hash ^ (*set as *const SelectionSet as u64)).wrapping_mul(0x0100_0000_01b3)
        });
        let key = (identity, sets.len(), object_type);
        if let Some(collected) = self.collected.get(&key) {
            return collected.clone();
        }
        let mut by_key: IndexMap<Name, Vec<&'a Positioned<Field>>> = IndexMap::new();
        for set in sets {
            self.collect(object_type, set, &mut by_key);
        }
        let meta = self.registry.types.get(object_type);
        let collected: Collected<'a> = by_key
            .into_iter()
            .map(|(key, fields)| {
                let child_sets: Vec<&'a SelectionSet> = fields
                    .iter()
                    .map(|field| &field.node.selection_set.node)
                    .filter(|set| !set.items.is_empty())
                    .collect();
                let child_type = meta
                    .and_then(|meta| meta.field_by_name(&fields[0].node.name.node))
                    .map(|field| MetaTypeName::concrete_typename(&field.ty));
                let child = match child_type {
                    Some(child_type) if !child_sets.is_empty() => Some((child_type, child_sets)),
                    _ => None,
                };
                CollectedField { key, child }
            })
            .collect();
        let collected = Rc::new(collected);
        self.collected.insert(key, collected.clone());
        collected
    }

    /// CollectFields of the specification (validation has already refused fragment cycles).
    fn collect(&self, object_type: &str, set: &'a SelectionSet, into: &mut IndexMap<Name, Vec<&'a Positioned<Field>>>) {
        for selection in &set.items {
            if !self.included(selection.node.directives()) {
                continue;
            }
            match &selection.node {
                Selection::Field(field) => {
                    into.entry(field.node.response_key().node.clone()).or_default().push(field);
                }
                Selection::FragmentSpread(spread) => {
                    let Some(fragment) = self.document.fragments.get(&spread.node.fragment_name.node) else {
                        continue;
                    };
                    if self.applies(&fragment.node.type_condition.node.on.node, object_type) {
                        self.collect(object_type, &fragment.node.selection_set.node, into);
                    }
                }
                Selection::InlineFragment(inline) => {
                    let applies = inline
                        .node
                        .type_condition
                        .as_ref()
                        .is_none_or(|condition| self.applies(&condition.node.on.node, object_type));
                    if applies {
                        self.collect(object_type, &inline.node.selection_set.node, into);
                    }
                }
            }
        }
    }

    fn applies(&self, condition: &str, object_type: &str) -> bool {
        condition == object_type
            || self.registry.types.get(condition).is_some_and(|meta| meta.is_possible_type(object_type))
    }

    /// `@skip(if:)` and `@include(if:)`, with literal or variable arguments.
    fn included(&self, directives: &[Positioned<Directive>]) -> bool {
        directives.iter().all(|directive| {
            let condition = directive.node.get_argument("if").map(|value| {
                let value = value.node.clone().into_const_with(|name| self.variables.get(&name).cloned().ok_or(()));
                matches!(value, Ok(Value::Boolean(true)))
            });
            !matches!((directive.node.name.node.as_str(), condition), ("skip", Some(true)) | ("include", Some(false)))
        })
    }
}

/// Whether the object's keys appear in the collected order (each key found further on).
fn in_collected_order(object: &IndexMap<Name, Value>, collected: &Collected<'_>) -> bool {
    let mut fields = collected.iter();
    object.keys().all(|key| fields.any(|field| same_key(&field.key, key)))
}
