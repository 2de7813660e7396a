#!/usr/bin/env bash
# Checks CI runs after the tests, clippy and rustfmt (called by .ci/run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python3 scripts/check-dependency-floors.py

# The Node.js checks need Node.js 20 or later, npm and the npm registry; every tool they run is
# pinned by a package-lock.json and installed with `npm ci`. (Debian bookworm's nodejs is 18,
# too old for them: install Node.js 20 or later, e.g. from NodeSource, where it is absent.)
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
    { echo "error: node and npm are needed (Node.js 20 or later)" >&2; exit 1; }
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
    { echo "error: Node.js $(node --version) is too old: 20 or later is needed" >&2; exit 1; }
echo "node $(node --version), npm $(npm --version)"

# The typed TypeScript client: graphql-codegen validates its operations against schema.graphql
# (an unknown field, argument or input field fails) and tsc --strict checks their use.
echo "--> examples/typescript: npm ci && npm run check"
(cd examples/typescript && npm ci --no-audit --no-fund --loglevel=error && npm run check)

# schema.graphql: graphql-schema-linter (any finding fails), and GraphQL Inspector's diff against
# the schema this change starts from (breaking changes printed in a banner, not failed).
bash scripts/schema-checks.sh

# Outside fuzzing of the GraphQL API with schemathesis, bounded (50 examples per operation and
# phase; see README "Fuzzing with schemathesis"). Needs python3 and PyPI only.
SCHEMATHESIS_MAX_EXAMPLES=50 bash scripts/schemathesis.sh

# The GraphQL-over-HTTP reference audit (graphql-http's auditServer, pinned by
# scripts/graphql-http-audit/package-lock.json) against the debug binary on a temporary SQLite
# file with the demo data: any MUST failure or SHOULD warning fails; notices are printed.
echo "--> GraphQL over HTTP audit"
bash scripts/graphql-http-audit.sh
bash scripts/docker-checks.sh  # hadolint, docker/init-secrets.sh, docker/compose.yml; docker build where a daemon answers
