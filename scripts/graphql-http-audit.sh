#!/usr/bin/env bash
# The GraphQL-over-HTTP reference audit (scripts/graphql-http-audit.mjs) against a freshly started
# server: the debug binary (built if missing), a temporary SQLite file with the demo data, a random
# JWT secret and a free port. Fails on any MUST failure or SHOULD warning. Called by ci-extra.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

binary=${CHANCERY_BINARY:-target/debug/chancery}
if [[ ! -x $binary ]]; then
    echo "--> cargo build -p chancery-api"
    cargo build -q -p chancery-api
fi
(cd scripts/graphql-http-audit && npm ci --no-audit --no-fund --loglevel=error)

workdir=$(mktemp -d)
server_pid=
cleanup() {
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
CHANCERY_JWT_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(32))') \
    "$binary" --database-url "sqlite://$workdir/audit.db?mode=rwc" serve --demo --bind "127.0.0.1:$port" \
    >"$workdir/server.log" 2>&1 &
server_pid=$!

for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "error: the server exited before it was ready:" >&2
        cat "$workdir/server.log" >&2
        exit 1
    fi
    sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null ||
    { echo "error: the server was not ready in 60 s:" >&2; cat "$workdir/server.log" >&2; exit 1; }

echo "--> graphql-http audit of http://127.0.0.1:$port/graphql"
node scripts/graphql-http-audit.mjs "http://127.0.0.1:$port/graphql"
