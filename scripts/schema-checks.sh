#!/usr/bin/env bash
# Checks of schema.graphql (run by scripts/ci-extra.sh):
#
#  1. graphql-schema-linter with scripts/schema-tools/.graphql-schema-linterrc (descriptions
#     everywhere, GraphQL naming, Relay connections, no unused type; no alphabetical order).
#     Any finding fails.
#  2. GraphQL Inspector's diff of the schema.graphql this change starts from against the working
#     copy's, printing every change and the breaking ones again in a banner. Breaking changes do
#     not fail (SCHEMA_CHECKS_FAIL_ON_BREAKING=1 makes them); an unreadable schema does.
#
# The schema it starts from: SCHEMA_BASE (any git revision) when set; else the merge base with
# origin/main when HEAD is on a branch of its own; else HEAD~1 (a fresh clone of main, where
# origin/main is HEAD). When that revision is absent (a shallow clone, the first commit) or has
# no schema.graphql, the diff is skipped and says so.
#
# The tools are pinned with their dependencies in scripts/schema-tools/package-lock.json and
# installed by `npm ci` into scripts/schema-tools/node_modules, which is reused while it was
# installed from the same lockfile. Needs Node.js 20 or later, npm, git and the npm registry.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

TOOLS=scripts/schema-tools
SCHEMA=schema.graphql

step() { printf '\n--> %s\n' "$*"; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

command -v node >/dev/null 2>&1 || die "node is not installed (Node.js 20 or later is needed)"
command -v npm >/dev/null 2>&1 || die "npm is not installed"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
    die "Node.js $(node --version) is too old: 20 or later is needed"
[[ -f "$SCHEMA" ]] || die "$SCHEMA not found"

# ---------------------------------------------------------------------------------------------
# The pinned tools
# ---------------------------------------------------------------------------------------------
lock_sum=$(sha256sum "$TOOLS/package-lock.json" | cut -d' ' -f1)
stamp="$TOOLS/node_modules/.installed-from-lock"
if [[ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]]; then
    step "Installing the schema tools (npm ci in $TOOLS)"
    (cd "$TOOLS" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$lock_sum" >"$stamp"
fi
bin="$TOOLS/node_modules/.bin"

# ---------------------------------------------------------------------------------------------
# 1. Lint
# ---------------------------------------------------------------------------------------------
step "graphql-schema-linter $(node -p "require('./$TOOLS/node_modules/graphql-schema-linter/package.json').version") on $SCHEMA"
"$bin/graphql-schema-linter" --config-directory "$TOOLS" "$SCHEMA" ||
    die "graphql-schema-linter found problems in $SCHEMA (rules: $TOOLS/.graphql-schema-linterrc)"

# ---------------------------------------------------------------------------------------------
# 2. Diff against the schema this change starts from
# ---------------------------------------------------------------------------------------------
inspector_version=$(node -p "require('./$TOOLS/node_modules/@graphql-inspector/cli/package.json').version")
base="" label=""
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    label="not a git checkout"
elif [[ -n "${SCHEMA_BASE:-}" ]]; then
    base=$(git rev-parse -q --verify "${SCHEMA_BASE}^{commit}") || die "SCHEMA_BASE=$SCHEMA_BASE is not a revision"
    label="$SCHEMA_BASE (${base:0:12})"
elif git rev-parse -q --verify 'origin/main^{commit}' >/dev/null &&
    fork=$(git merge-base HEAD origin/main 2>/dev/null) && [[ "$fork" != "$(git rev-parse HEAD)" ]]; then
    base=$fork
    label="origin/main (merge base ${fork:0:12})"
elif git rev-parse -q --verify 'HEAD~1^{commit}' >/dev/null; then
    base=$(git rev-parse HEAD~1)
    label="HEAD~1 (${base:0:12})"
else
    label="HEAD has no parent here (the first commit, or a shallow clone)"
fi

if [[ -z "$base" ]]; then
    step "GraphQL Inspector diff: skipped, no earlier $SCHEMA to compare with: $label"
elif ! git cat-file -e "$base:$SCHEMA" 2>/dev/null; then
    step "GraphQL Inspector diff: skipped, $label has no $SCHEMA"
else
    step "GraphQL Inspector $inspector_version: diff of $SCHEMA at $label against the working copy"
    old=$(mktemp --suffix=.graphql)
    trap 'rm -f "$old"' EXIT
    git show "$base:$SCHEMA" >"$old"
    SCHEMA_DIFF_BASE="$label" "$bin/graphql-inspector" diff "$old" "$SCHEMA" \
        --onComplete "$TOOLS/on-diff-complete.cjs" ||
        die "GraphQL Inspector failed: see above (a schema it could not read, or a breaking change with SCHEMA_CHECKS_FAIL_ON_BREAKING=1)"
fi
