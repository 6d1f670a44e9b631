#!/usr/bin/env bash
# pg_cluster.sh — a throwaway PostgreSQL cluster for the tests that use the
# real server (the store tests on PostgreSQL, sharded runs, several arena
# servers on one store). scripts/test.sh starts one for the whole CI run;
# a developer runs it by hand before ctest:
#
#   eval "$(tests/tools/pg_cluster.sh start)"    # exports TIANTI_TEST_PG and TIANTI_TEST_PG_DIR
#   (cd build && ctest)
#   tests/tools/pg_cluster.sh stop "$TIANTI_TEST_PG_DIR"
#
#   start [DIR]   initdb in DIR (default: a new folder under /tmp), start the
#                 server on a Unix socket in DIR only (listen_addresses='':
#                 nothing on the network), print the export lines
#   stop DIR      stop that server (immediately) and remove DIR
#   newdb NAME    (with TIANTI_TEST_PG set) drop and create database NAME on
#                 that server and print its URI: each test takes its own
#                 database, so tests running side by side never meet
#   dropdb NAME   drop database NAME again
#
# TIANTI_TEST_PG is postgresql:///postgres?host=DIR&user=postgres (the
# maintenance database; tests create theirs with newdb). The cluster is
# PostgreSQL 15 from Debian (scripts/setup.sh --test installs it). initdb
# refuses to run as root, so as root the cluster belongs to the `postgres`
# user the Debian package creates (runuser); otherwise to the caller.
# Local connections are trusted (the socket is in a folder only the
# cluster's owner and root can reach); fsync is off: a test cluster never
# needs to survive a power cut.
set -euo pipefail

pgbin=${TIANTI_PG_BIN:-}
if [ -z "$pgbin" ]; then
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ]; then pgbin=$d; break; fi
  done
fi
die() { echo "pg_cluster.sh: $*" >&2; exit 1; }
[ -n "$pgbin" ] && [ -x "$pgbin/initdb" ] || die "no PostgreSQL server (initdb) found: run scripts/setup.sh --test (installs postgresql)"

# as_owner CMD...: runs CMD as the cluster's owner
if [ "$(id -u)" = 0 ]; then
  owner=postgres
  id "$owner" >/dev/null 2>&1 || die "user 'postgres' is missing (the Debian postgresql package creates it)"
  as_owner() { runuser -u "$owner" -- "$@"; }
else
  owner=$(id -un)
  as_owner() { "$@"; }
fi

cmd=${1:-}
case "$cmd" in
  start)
    dir=${2:-}
    if [ -z "$dir" ]; then dir=$(mktemp -d /tmp/tianti-pg.XXXXXX); fi
    mkdir -p "$dir"
    chmod 700 "$dir"
    [ "$(id -u)" = 0 ] && chown "$owner" "$dir"
    as_owner "$pgbin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed in $dir"; }
    as_owner "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses='' -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null || { cat "$dir/server.log" >&2; die "the server did not start (log above)"; }
    echo "export TIANTI_TEST_PG='postgresql:///postgres?host=$dir&user=postgres'"
    echo "export TIANTI_TEST_PG_DIR='$dir'"
    ;;
  stop)
    dir=${2:-}
    [ -n "$dir" ] || die "usage: pg_cluster.sh stop DIR"
    case "$dir" in /tmp/*|/var/tmp/*) ;; *) [ -f "$dir/data/PG_VERSION" ] || die "$dir is no cluster folder of this script" ;; esac
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "$pgbin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  newdb)
    name=${2:-}
    [[ "$name" =~ ^[a-z_][a-z0-9_]*$ ]] || die "usage: pg_cluster.sh newdb NAME (lower-case letters, digits, _)"
    [ -n "${TIANTI_TEST_PG:-}" ] || die "TIANTI_TEST_PG is not set: start a cluster first: eval \"\$(tests/tools/pg_cluster.sh start)\""
    psql=$pgbin/psql
    [ -x "$psql" ] || psql=$(command -v psql) || die "psql is missing (postgresql-client)"
    PGOPTIONS="-c client_min_messages=warning" "$psql" -X -q -v ON_ERROR_STOP=1 "$TIANTI_TEST_PG" \
      -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" >/dev/null
    # the same URI with the database's name in place of the maintenance one
    echo "${TIANTI_TEST_PG/\/\/\/postgres\?/\/\/\/$name?}"
    ;;
  dropdb)
    name=${2:-}
    [[ "$name" =~ ^[a-z_][a-z0-9_]*$ ]] || die "usage: pg_cluster.sh dropdb NAME"
    [ -n "${TIANTI_TEST_PG:-}" ] || die "TIANTI_TEST_PG is not set"
    psql=$pgbin/psql
    [ -x "$psql" ] || psql=$(command -v psql) || die "psql is missing (postgresql-client)"
    PGOPTIONS="-c client_min_messages=warning" "$psql" -X -q -v ON_ERROR_STOP=1 "$TIANTI_TEST_PG" \
      -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null
    echo "dropped $name"
    ;;
  *)
    echo "usage: pg_cluster.sh start [DIR] | stop DIR | newdb NAME | dropdb NAME" >&2
    exit 2
    ;;
esac
