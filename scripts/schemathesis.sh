#!/usr/bin/env bash
# Outside fuzzing of the GraphQL API with schemathesis (https://schemathesis.readthedocs.io).
#
# Builds the server, starts it on loopback on a fresh SQLite database with the demo data and no
# rate limit, then lets schemathesis generate queries and mutations from the introspected schema:
# once anonymously and once as the demo editor, with every check enabled. Exits non-zero when
# schemathesis reports a failure. scripts/schemathesis_hooks.py teaches schemathesis the server's
# error codes; scripts/schemathesis_config.py feeds it real ids from the demo data.
#
# Environment:
#   SCHEMATHESIS_MAX_EXAMPLES  test cases per operation and phase (default 50: about 80 s of
#                              fuzzing for both runs on 2 cores); e.g. 2000 for a long run
#   SCHEMATHESIS_VENV          virtual environment for schemathesis (default
#                              target/schemathesis-venv; reused while it has the pinned versions)
#   SCHEMATHESIS_SEED          seed of a previous run, to replay it
#   SCHEMATHESIS_WORKERS       concurrent schemathesis workers (default 2)
# Needs only python3 and access to PyPI. The database lives in a temporary directory removed on
# exit; schemathesis's state and JUnit reports are kept in target/schemathesis/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
# shellcheck source=scripts/lib/python-venv.sh
. scripts/lib/python-venv.sh

SCHEMATHESIS_VERSION=4.32.5
VENV=${SCHEMATHESIS_VENV:-$ROOT/target/schemathesis-venv}
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-50}
WORKERS=${SCHEMATHESIS_WORKERS:-2}

log() { printf '==> %s\n' "$*" >&2; }
# No __pycache__ beside the hooks in scripts/.
export PYTHONDONTWRITEBYTECODE=1

# 1. schemathesis, pinned with its dependencies, in its own virtual environment.
CONSTRAINTS=$ROOT/scripts/schemathesis-constraints.txt
STAMP="schemathesis==$SCHEMATHESIS_VERSION $(sha256sum "$CONSTRAINTS" | cut -d' ' -f1)"

if [[ "$(cat "$VENV/.chancery-stamp" 2>/dev/null || true)" != "$STAMP" ]] || ! "$VENV/bin/st" --version >/dev/null 2>&1; then
    log "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
    create_venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        "schemathesis==$SCHEMATHESIS_VERSION" --constraint "$CONSTRAINTS"
    echo "$STAMP" >"$VENV/.chancery-stamp"
fi
PY=$VENV/bin/python
ST=$VENV/bin/st
log "$("$ST" --version)"

# 2. The server, on a fresh database in a temporary directory.
log "building the server"
cargo build --locked -p chancery-api --bin chancery

TMP=$(mktemp -d "${TMPDIR:-/tmp}/chancery-schemathesis.XXXXXX")
SERVER_PID=
SERVER_LOG=$TMP/server.log
cleanup() {
    local status=$?
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ $status -ne 0 && -f "$SERVER_LOG" ]]; then
        echo "---- last 60 lines of the server log ($SERVER_LOG) ----" >&2
        tail -n 60 "$SERVER_LOG" >&2 || true
        echo "---- end of the server log ----" >&2
    fi
    rm -rf "$TMP"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Port 0: the kernel picks a free port and the server prints the address it got, so no other
# process can take the port between choosing and binding it.
log "starting the server (log: $SERVER_LOG)"
# The server's settings come from these flags and its defaults only, never from the environment.
unset_env=(-u DATABASE_URL)
for name in $(compgen -e | grep '^CHANCERY_' || true); do
    unset_env+=(-u "$name")
done
env "${unset_env[@]}" \
    "$ROOT/target/debug/chancery" --database-url "sqlite://$TMP/fuzz.db" --log-level info \
    serve --demo --bind 127.0.0.1:0 --rate-limit-per-minute 0 --token-ttl-secs 86400 \
    --introspection true --anonymous-introspection true >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!

BASE=
for _ in $(seq 1 300); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        log "the server exited before it was ready"
        exit 1
    fi
    BASE=$(sed -n 's|^Chancery is serving GraphiQL at \(http://[0-9.:]*\)/graphql.*|\1|p' "$SERVER_LOG" | head -n 1)
    if [[ -n "$BASE" ]] && "$PY" - "$BASE/healthz" <<'EOF' 2>/dev/null; then
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as response:
    sys.exit(0 if response.status == 200 else 1)
EOF
        break
    fi
    BASE=
    sleep 0.2
done
if [[ -z "$BASE" ]]; then
    log "the server did not answer GET /healthz within 60 s"
    exit 1
fi
log "server ready at $BASE"

# 3. A token of the demo editor.
TOKEN=$("$PY" - "$BASE/graphql" <<'EOF'
import json, sys, urllib.request
query = """mutation Login($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { token }
}"""
body = json.dumps({
    "query": query,
    "variables": {"email": "editor@demo.chancery", "password": "demo-editor-password"},
}).encode()
request = urllib.request.Request(sys.argv[1], data=body, headers={"Content-Type": "application/json"})
with urllib.request.urlopen(request, timeout=10) as response:
    answer = json.load(response)
if answer.get("errors"):
    sys.exit(f"login failed: {answer['errors']}")
print(answer["data"]["login"]["token"])
EOF
)
log "logged in as the demo editor"

# Real ids, kind keys, cursors and URLs as fuzz dictionaries, so that arguments naming objects
# reach the resolvers behind them instead of being refused as malformed ids.
CONFIG=$TMP/schemathesis.toml
CHANCERY_FUZZ_TOKEN=$TOKEN "$PY" "$ROOT/scripts/schemathesis_config.py" "$BASE/graphql" "$CONFIG"

# 4. Two runs: anonymous, then as the editor. Both run to the end; either failing fails the script.
# schemathesis keeps its state in the working directory (.schemathesis/: the failures `st replay`
# reruns; .hypothesis/: examples that failed before, tried first next time), so it runs in
# target/schemathesis/, beside its JUnit reports.
WORK=$ROOT/target/schemathesis
mkdir -p "$WORK"
run_schemathesis() {
    local name=$1
    shift
    local args=(
        --config-file "$CONFIG"
        run "$BASE/graphql"
        --checks all
        --max-examples "$MAX_EXAMPLES"
        --workers "$WORKERS"
        --request-timeout 30
        --report junit --report-junit-path "$WORK/junit-$name.xml"
        --no-color
    )
    if [[ -n "${SCHEMATHESIS_SEED:-}" ]]; then
        args+=(--seed "$SCHEMATHESIS_SEED")
    fi
    log "schemathesis run: $name (at most $MAX_EXAMPLES examples per operation and phase)"
    local started=$SECONDS
    local status=0
    (cd "$WORK" && SCHEMATHESIS_HOOKS="$ROOT/scripts/schemathesis_hooks.py" "$ST" "${args[@]}" "$@") || status=$?
    log "schemathesis run $name: exit $status after $((SECONDS - started)) s"
    return "$status"
}

failed=0
run_schemathesis anonymous || failed=1
run_schemathesis editor --header "Authorization: Bearer $TOKEN" || failed=1
# Refusals as UNAUTHENTICATED are expected answers, so a token that stopped working would have
# turned the editor run into a second anonymous one without failing it.
if ! CHANCERY_FUZZ_TOKEN=$TOKEN "$PY" - "$BASE/graphql" <<'EOF'; then
import json, os, sys, urllib.request
request = urllib.request.Request(
    sys.argv[1],
    data=json.dumps({"query": "{ viewer { email } }"}).encode(),
    headers={"Content-Type": "application/json", "Authorization": f"Bearer {os.environ['CHANCERY_FUZZ_TOKEN']}"},
)
with urllib.request.urlopen(request, timeout=10) as response:
    answer = json.load(response)
sys.exit(0 if (answer.get("data") or {}).get("viewer") else f"the editor's token no longer works: {answer}")
EOF
    log "the editor run was not authenticated to the end"
    failed=1
fi
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    log "the server died during the run"
    failed=1
else
    requests=$("$PY" - "$BASE/metrics" <<'EOF' || true
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=10) as response:
    for line in response.read().decode().splitlines():
        if line.startswith("chancery_http_requests_total "):
            print(line.split()[1])
EOF
)
    log "the server answered ${requests:-?} HTTP requests in all"
fi
if [[ $failed -ne 0 ]]; then
    log "schemathesis reported failures (see above)"
    exit 1
fi
log "schemathesis found no failures"
