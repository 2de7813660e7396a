#!/usr/bin/env bash
# Checks CI runs after the tests, clippy and rustfmt (called by .ci/run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python3 scripts/check-dependency-floors.py

# Outside fuzzing of the GraphQL API with schemathesis, bounded (50 examples per operation and
# phase; see README "Fuzzing with schemathesis"). Needs python3 and PyPI only.
SCHEMATHESIS_MAX_EXAMPLES=50 bash scripts/schemathesis.sh
