#!/usr/bin/env bash
# Runs COMMAND... beside a throwaway PostgreSQL cluster: initdb in a temp dir, the server on a Unix
# socket in that dir (no TCP port), TP_TEST_DB=postgresql:///postgres?host=DIR&user=tp exported,
# the cluster stopped and removed at the end whatever happens. As root it runs the server as the
# `postgres` user (initdb refuses root). Exit code: the command's; 77 when PostgreSQL is missing.
set -uo pipefail
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_ctl" ]; then
  echo "with-postgres: PostgreSQL server binaries not found (apt-get install postgresql); skipping the Postgres run"
  exit 77
fi
DIR=$(mktemp -d /tmp/tp-pg.XXXXXX)
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$DIR"
chmod 755 "$DIR"
stop() {
  as_owner "$PGBIN/pg_ctl" -D "$DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1
  rm -rf "$DIR"
}
trap stop EXIT
as_owner "$PGBIN/initdb" -D "$DIR/data" -U tp --auth=trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 ||
  { cat "$DIR/initdb.log"; echo "with-postgres: initdb failed"; exit 1; }
# Unix socket only (listen_addresses=''), fsync on (the collector's durability is what is tested).
as_owner "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
  -o "-c listen_addresses='' -c unix_socket_directories='$DIR' -c max_connections=200" start >/dev/null ||
  { cat "$DIR/server.log"; echo "with-postgres: the server did not start"; exit 1; }
export TP_TEST_DB="postgresql:///postgres?host=$DIR&user=tp"
echo "with-postgres: cluster at $DIR (TP_TEST_DB=$TP_TEST_DB)"
"$@"
