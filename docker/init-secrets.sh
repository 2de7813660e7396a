#!/bin/sh
# Creates the secrets docker/compose.yml needs, in DIR (the `secrets` volume), each only if it is
# absent, so the first `docker compose up` makes them and every later one keeps them:
#
#   postgres-password  the password of the Postgres role `chancery` (read by the postgres
#                      image through POSTGRES_PASSWORD_FILE when it creates the role and database)
#   pgpass             the same password as a libpq password file, `host:port:database:user:
#                      password`, read by the API through PGPASSFILE (its DATABASE_URL carries
#                      no password)
#   jwt-secret         the token secret, read by the API through CHANCERY_JWT_SECRET_FILE
#
# Each secret is 32 random bytes from /dev/urandom, hex-encoded (64 characters, so none needs
# escaping in the pgpass line). Files are mode 0400, owned by the uid that reads them: Postgres
# (999 in the official Debian-based image) and the API (10001, the `chancery` user of
# docker/Dockerfile). Ownership is only set when running as root; elsewhere (a test run) the
# files stay the caller's.
#
# Usage: init-secrets.sh DIR        POSIX sh; needs only head, od, tr, mv, chown, chmod.
#
# The password lives in two places: the Postgres data volume (set once, when the database is
# first created) and here. Remove the two volumes together (`docker compose down -v`); removing
# only the secrets volume makes a new password that the existing database does not know.
set -eu

dir=${1:?usage: init-secrets.sh DIR}
api_uid=${CHANCERY_API_UID:-10001}
api_gid=${CHANCERY_API_GID:-10001}
pg_uid=${CHANCERY_POSTGRES_UID:-999}
pg_gid=${CHANCERY_POSTGRES_GID:-999}
# Where and as whom the API connects (DATABASE_URL in docker/compose.yml).
pg_host=${CHANCERY_POSTGRES_HOST:-postgres}
pg_port=${CHANCERY_POSTGRES_PORT:-5432}
pg_db=${CHANCERY_POSTGRES_DB:-chancery}
pg_user=${CHANCERY_POSTGRES_USER:-chancery}

umask 077
mkdir -p "$dir"
# Traversable, not listable: the API and Postgres each open their own files by name (the files
# themselves are readable by their owner only).
chmod 0711 "$dir"

random_hex() {
    # -v: od would otherwise print `*` for a line repeating the previous one.
    head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n'
}

# write NAME UID GID: the contents on stdin, into DIR/NAME, atomically (a temporary file renamed
# over it), so an interrupted run never leaves a half-written secret that a later run would keep.
write() {
    tmp="$dir/.$1.tmp"
    rm -f "$tmp"
    cat >"$tmp"
    if [ "$(id -u)" = 0 ]; then
        chown "$2:$3" "$tmp"
    fi
    chmod 0400 "$tmp"
    mv -f "$tmp" "$dir/$1"
    echo "init-secrets: created $dir/$1"
}

if [ ! -s "$dir/postgres-password" ]; then
    random_hex | write postgres-password "$pg_uid" "$pg_gid"
    # A new password makes any older pgpass wrong.
    rm -f "$dir/pgpass"
fi
if [ ! -s "$dir/pgpass" ]; then
    password=$(cat "$dir/postgres-password")
    printf '%s:%s:%s:%s:%s\n' "$pg_host" "$pg_port" "$pg_db" "$pg_user" "$password" |
        write pgpass "$api_uid" "$api_gid"
fi
if [ ! -s "$dir/jwt-secret" ]; then
    random_hex | write jwt-secret "$api_uid" "$api_gid"
fi
echo "init-secrets: $dir holds postgres-password, pgpass and jwt-secret"
