#!/usr/bin/env bash
# Chancery's read benchmark: see bench/README.md. Builds the release binary, installs wrk (and
# pgbench) from Debian's apt when missing, then runs bench/bench.py.
#
#   SCALE=10000 DURATION=10 BACKENDS="postgres sqlite" bash bench/run.sh
#
# It fails when something does not work (a build, a tool, a query answering errors, a replay
# that cannot run); it never fails on the numbers it measures.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

export SCALE="${SCALE:-10000}"
export DURATION="${DURATION:-10}"
export BACKENDS="${BACKENDS:-postgres sqlite}"

say() { printf '\n==> %s\n' "$*"; }

# The PostgreSQL program `$1`: from PATH if it runs there (Debian's pg_wrapper fails without a
# client), else the newest /usr/lib/postgresql/*/bin copy.
pg_program() {
    local program=$1 dir
    if command -v "$program" >/dev/null 2>&1 && "$program" --version >/dev/null 2>&1; then
        command -v "$program"
        return 0
    fi
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -x "$dir/$program" ]]; then
            echo "$dir/$program"
            return 0
        fi
    done
    return 1
}

apt_install() {
    if [[ $(id -u) -ne 0 ]]; then
        echo "error: $* missing, and installing it needs root (apt-get install $*)" >&2
        exit 1
    fi
    say "Installing $* from Debian's apt"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

say "Tools"
if ! command -v wrk >/dev/null 2>&1; then
    apt_install wrk
fi
if [[ " $BACKENDS " == *" postgres "* ]]; then
    if ! pg_program psql >/dev/null || ! pg_program pgbench >/dev/null; then
        # Debian ships pgbench with the server package of each version, psql with the client.
        apt_install postgresql-client
        pg_program pgbench >/dev/null || apt_install postgresql
    fi
    PSQL=$(pg_program psql)
    PGBENCH=$(pg_program pgbench)
    export PSQL PGBENCH
    echo "psql: $PSQL; pgbench: $PGBENCH"
fi
command -v python3 >/dev/null || { echo "error: python3 is needed" >&2; exit 1; }
echo "wrk: $(command -v wrk); python3: $(python3 --version)"

say "Building the release binary"
cargo build --release --locked -p chancery-api
export CHANCERY_BIN="${CHANCERY_BIN:-$PWD/target/release/chancery}"

say "Benchmark: SCALE=$SCALE DURATION=$DURATION BACKENDS=\"$BACKENDS\""
exec python3 bench/bench.py
