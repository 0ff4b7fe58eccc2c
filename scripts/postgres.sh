#!/usr/bin/env bash
# Sourced by scripts/test.sh: starts a throwaway PostgreSQL for the tests and exports
# TRACEREPLAY_TEST_POSTGRES (a connection string to 127.0.0.1:<free port>). Installs Debian's postgresql package
# when the server binaries are missing. The server runs as the postgres user (it refuses root) from a temporary
# directory and is stopped and removed by tracereplay_postgres_stop, which test.sh calls from its exit trap.

tracereplay_postgres_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
    fi
  done | sort -V | tail -n 1
}

tracereplay_postgres_start() {
  if [ -n "${TRACEREPLAY_TEST_POSTGRES:-}" ]; then
    echo "PostgreSQL: using TRACEREPLAY_TEST_POSTGRES from the environment"
    return 0
  fi

  local bin
  bin="$(tracereplay_postgres_bin)"
  if [ -z "$bin" ]; then
    echo "PostgreSQL: server not found, installing Debian's postgresql package"
    if [ "$(id -u)" -ne 0 ]; then
      echo "PostgreSQL: installing needs root" >&2
      return 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null \
      || { echo "PostgreSQL: apt-get install postgresql failed" >&2; return 1; }
    bin="$(tracereplay_postgres_bin)"
    [ -n "$bin" ] || { echo "PostgreSQL: no server binaries after install" >&2; return 1; }
  fi

  # Root runs the server as the postgres user; anyone else runs it as themselves.
  local as_user=()
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
    as_user=(runuser -u postgres --)
  fi

  TRACEREPLAY_PG_DIR="$(mktemp -d /tmp/tracereplay-pg.XXXXXX)"
  chmod 755 "$TRACEREPLAY_PG_DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$TRACEREPLAY_PG_DIR"

  local port
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
    || echo $((20000 + RANDOM % 20000)))"

  "${as_user[@]}" "$bin/initdb" -D "$TRACEREPLAY_PG_DIR/data" -U postgres --auth=trust -E UTF8 --no-sync >"$TRACEREPLAY_PG_DIR/initdb.log" 2>&1 \
    || { cat "$TRACEREPLAY_PG_DIR/initdb.log" >&2; return 1; }
  # Runs like a user's server: PostgreSQL's default durability (fsync, synchronous_commit, full_page_writes on) and
  # connection limit (max_connections 100). Each TraceReplay process stays within TraceReplay:Postgres:MaxConnections.
  "${as_user[@]}" "$bin/pg_ctl" -D "$TRACEREPLAY_PG_DIR/data" -l "$TRACEREPLAY_PG_DIR/server.log" -w -t 60 \
    -o "-p $port -k $TRACEREPLAY_PG_DIR -c listen_addresses=127.0.0.1" \
    start >/dev/null || { cat "$TRACEREPLAY_PG_DIR/server.log" >&2; return 1; }
  TRACEREPLAY_PG_BIN="$bin"
  TRACEREPLAY_PG_AS=("${as_user[@]}")

  "${as_user[@]}" "$bin/createdb" -h "$TRACEREPLAY_PG_DIR" -p "$port" -U postgres tracereplay_test \
    || { echo "PostgreSQL: createdb failed" >&2; return 1; }
  export TRACEREPLAY_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Database=tracereplay_test;Username=postgres;Maximum Pool Size=50"
  echo "PostgreSQL: throwaway server on 127.0.0.1:$port ($bin)"
}

tracereplay_postgres_stop() {
  if [ -n "${TRACEREPLAY_PG_DIR:-}" ] && [ -d "$TRACEREPLAY_PG_DIR" ]; then
    "${TRACEREPLAY_PG_AS[@]}" "$TRACEREPLAY_PG_BIN/pg_ctl" -D "$TRACEREPLAY_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$TRACEREPLAY_PG_DIR"
  fi
}

# For a test that restarts a server of its own (started with tracereplay_postgres_start in a subshell): stops it
# (fast: clients are disconnected), starts it again on <port>, or removes it; as the user it runs as.
# Usage: tracereplay_postgres_ctl <dir> stop|start|remove [port]
tracereplay_postgres_ctl() {
  local dir="$1" action="$2" port="${3:-}" bin
  bin="$(tracereplay_postgres_bin)"
  local as_user=()
  if [ "$(id -u)" -eq 0 ]; then
    as_user=(runuser -u postgres --)
  fi

  case "$action" in
    stop) "${as_user[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null ;;
    start) "${as_user[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null ;;
    remove)
      "${as_user[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
      rm -rf "$dir" ;;
    *) echo "tracereplay_postgres_ctl: unknown action '$action'" >&2; return 2 ;;
  esac
}
