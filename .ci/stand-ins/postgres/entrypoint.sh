#!/bin/sh
# The official postgres image's first-start contract, in short: an empty PGDATA is initialised with
# POSTGRES_USER (default postgres) and POSTGRES_PASSWORD, POSTGRES_DB (default the user) is created,
# and the server listens on every address with password authentication.
set -eu

if [ "${1:-}" != postgres ]; then
  exec "$@"
fi
shift

as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

mkdir -p "$PGDATA" /var/run/postgresql
chown postgres:postgres "$PGDATA" /var/run/postgresql
chmod 700 "$PGDATA"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  user=${POSTGRES_USER:-postgres}
  database=${POSTGRES_DB:-$user}
  password_file=$(mktemp)
  printf '%s\n' "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}" >"$password_file"
  chown postgres "$password_file"
  as_postgres initdb --username="$user" --pwfile="$password_file" --auth-local=trust \
    --auth-host=scram-sha-256 --encoding=UTF8 -D "$PGDATA" >/dev/null
  rm -f "$password_file"
  echo 'host all all all scram-sha-256' >>"$PGDATA/pg_hba.conf"
  if [ "$database" != postgres ]; then
    echo "CREATE DATABASE \"$database\" OWNER \"$user\"" |
      as_postgres postgres --single -D "$PGDATA" -c listen_addresses= postgres >/dev/null
  fi
  echo "entrypoint: initialised $PGDATA with user $user and database $database"
fi

exec setpriv --reuid=postgres --regid=postgres --init-groups postgres -c listen_addresses='*' "$@"
