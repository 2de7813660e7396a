#!/usr/bin/env bash
# Chancery's export benchmark: see bench/README.md, "The export benchmark". Builds the release
# binary, then runs bench/export.py.
#
#   SCALE=1000000 BACKENDS=postgres bash bench/export.sh
#
# It fails when an export is incomplete or something does not run; never on the numbers.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

export SCALE="${SCALE:-100000}"
export BACKENDS="${BACKENDS:-postgres}"

command -v python3 >/dev/null || { echo "error: python3 is needed" >&2; exit 1; }
if [[ " $BACKENDS " == *" postgres "* ]] && ! command -v psql >/dev/null; then
    echo "error: psql is needed for the Postgres run" >&2
    exit 1
fi

printf '\n==> Building the release binary\n'
cargo build --release --locked -p chancery-api
export CHANCERY_BIN="${CHANCERY_BIN:-$PWD/target/release/chancery}"

printf '\n==> Export benchmark: SCALE=%s BACKENDS="%s"\n' "$SCALE" "$BACKENDS"
exec python3 bench/export.py
