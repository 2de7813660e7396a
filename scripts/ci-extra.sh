#!/usr/bin/env bash
# Checks CI runs after the tests, clippy and rustfmt (called by .ci/run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python3 scripts/check-dependency-floors.py
