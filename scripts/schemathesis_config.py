"""Writes the schemathesis.toml that scripts/schemathesis.sh runs with.

Usage: CHANCERY_FUZZ_TOKEN=<access token> schemathesis_config.py GRAPHQL_URL OUTPUT_TOML

Random strings are never ids of this server, so without help almost every argument that names an
object is refused with BAD_USER_INPUT or answered null, and the resolvers behind it are never
reached. This reads real ids, kind keys, cursors, URLs and versions from the running server and
binds them as fuzz dictionaries to the arguments that take them (drawn about half of the time;
the other half stays schema-derived). Only the standard library is used.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request

PROBABILITY = 0.5

INVENTORY = """
query Inventory {
  facts(first: 100) {
    pageInfo { startCursor endCursor }
    edges {
      cursor
      node {
        id version country
        kind { key category }
        participants { title actor { id } }
        citations { source { id } attributedTo { id } relayedFrom { id } }
      }
    }
  }
  actors(first: 100) {
    pageInfo { startCursor endCursor }
    edges { cursor node { id version country wikidataQid } }
  }
  sources(first: 100) {
    pageInfo { startCursor endCursor }
    edges { cursor node { id url outlet { id } } }
  }
  factKinds { id key category allowedQualifiers }
  viewer { id }
}
"""


def post(url: str, token: str, query: str) -> dict:
    body = json.dumps({"query": query}).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    request = urllib.request.Request(url, data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.load(response)
    if answer.get("errors"):
        sys.exit(f"inventory query failed: {answer['errors']}")
    return answer["data"]


def unique(values) -> list:
    seen = []
    for value in values:
        if value is not None and value not in seen:
            seen.append(value)
    return seen


def toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def main() -> None:
    url, output = sys.argv[1:3]
    token = os.environ["CHANCERY_FUZZ_TOKEN"]
    data = post(url, token, INVENTORY)
    facts = [edge["node"] for edge in data["facts"]["edges"]]
    actors = [edge["node"] for edge in data["actors"]["edges"]]
    sources = [edge["node"] for edge in data["sources"]["edges"]]
    kinds = data["factKinds"]
    cursors = unique(
        [edge["cursor"] for connection in ("facts", "actors", "sources") for edge in data[connection]["edges"]]
    )

    dictionaries = {
        "fact_ids": unique(fact["id"] for fact in facts),
        "actor_ids": unique(actor["id"] for actor in actors),
        "outlet_ids": unique(source["outlet"]["id"] for source in sources if source["outlet"]),
        "source_ids": unique(source["id"] for source in sources),
        "node_ids": unique(
            [fact["id"] for fact in facts]
            + [actor["id"] for actor in actors]
            + [source["id"] for source in sources]
            + [kind["id"] for kind in kinds]
            + [data["viewer"]["id"]]
        ),
        "kind_keys": unique(kind["key"] for kind in kinds),
        "categories": unique(kind["category"] for kind in kinds),
        "qualifier_keys": unique(key for kind in kinds for key in kind["allowedQualifiers"]),
        "countries": unique([fact["country"] for fact in facts] + [actor["country"] for actor in actors]),
        "wikidata": unique(actor["wikidataQid"] for actor in actors),
        "titles": unique(p["title"] for fact in facts for p in fact["participants"]),
        "source_urls": unique(source["url"] for source in sources),
        "cursors": cursors,
        "versions": unique([0, 1, 2, 3] + [fact["version"] for fact in facts] + [actor["version"] for actor in actors]),
        "page_sizes": [0, 1, 2, 5, 20, 100],
        "emails": ["editor@demo.chancery", "reviewer@demo.chancery"],
        "passwords": ["demo-editor-password", "demo-reviewer-password"],
        "idempotency_keys": [f"fuzz-{n}" for n in range(8)],
    }
    dictionaries = {name: values for name, values in dictionaries.items() if values}

    # `<Type>.<field>.<argument path>`: the type declaring the field, `*` for any, `[*]` for list items.
    bindings = {
        "Query.fact.id": "fact_ids",
        "Query.actor.id": "actor_ids",
        "Query.source.id": "source_ids",
        "Query.node.id": "node_ids",
        "Query.nodes.ids[*]": "node_ids",
        "Query.revisionDiff.fact": "fact_ids",
        "Query.revisionDiff.fromVersion": "versions",
        "Query.revisionDiff.toVersion": "versions",
        "Query.sourceByUrl.url": "source_urls",
        "Query.factKinds.category": "categories",
        "Mutation.updateActor.input.id": "actor_ids",
        "Mutation.updateFact.input.id": "fact_ids",
        "Mutation.submitFact.input.id": "fact_ids",
        "Mutation.reviewFact.input.id": "fact_ids",
        "Mutation.retractFact.input.id": "fact_ids",
        "Mutation.supersedeFact.input.id": "fact_ids",
        "Mutation.deleteDraft.input.id": "fact_ids",
        "Mutation.login.input.email": "emails",
        "Mutation.login.input.password": "passwords",
        "Mutation.*.input.expectedVersion": "versions",
        "Mutation.*.input.idempotencyKey": "idempotency_keys",
        "Mutation.createSource.input.url": "source_urls",
        "Mutation.createSource.input.outlet": "outlet_ids",
        "Mutation.createActor.input.country": "countries",
        "Mutation.createActor.input.wikidataQid": "wikidata",
        "Mutation.updateActor.input.country": "countries",
        "*.*.first": "page_sizes",
        "*.*.last": "page_sizes",
        "*.*.after": "cursors",
        "*.*.before": "cursors",
        "*.*.filter.kinds[*]": "kind_keys",
        "*.*.filter.categories[*]": "categories",
        "*.*.filter.country": "countries",
        "*.*.filter.participants[*]": "actor_ids",
        "*.*.filter.subjects[*]": "actor_ids",
        "*.*.filter.objects[*]": "actor_ids",
        "*.*.filter.allOf[*]": "actor_ids",
        "*.*.filter.outlets[*]": "outlet_ids",
        "*.*.filter.sources[*]": "source_ids",
    }
    for field in ("createFact", "updateFact", "supersedeFact"):
        bindings.update(
            {
                f"Mutation.{field}.input.kind": "kind_keys",
                f"Mutation.{field}.input.country": "countries",
                f"Mutation.{field}.input.participants[*].actor": "actor_ids",
                f"Mutation.{field}.input.participants[*].title": "titles",
                f"Mutation.{field}.input.qualifiers[*].key": "qualifier_keys",
                f"Mutation.{field}.input.citations[*].source": "source_ids",
                f"Mutation.{field}.input.citations[*].attributedTo": "actor_ids",
                f"Mutation.{field}.input.citations[*].relayedFrom": "actor_ids",
            }
        )

    lines = ["# Generated by scripts/schemathesis_config.py for one run; do not edit.", ""]
    for name, values in dictionaries.items():
        rendered = ", ".join(toml_string(v) if isinstance(v, str) else str(v) for v in values)
        lines += [f"[dictionaries.{name}]", f"values = [{rendered}]", ""]
    lines.append("[parameters]")
    for key, name in bindings.items():
        if name in dictionaries:
            lines.append(f"{toml_string(key)} = {{ dictionary = {toml_string(name)}, probability = {PROBABILITY} }}")
    with open(output, "w", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")
    counts = ", ".join(f"{name} {len(values)}" for name, values in dictionaries.items())
    print(f"fuzz dictionaries: {counts}", file=sys.stderr)


if __name__ == "__main__":
    main()
