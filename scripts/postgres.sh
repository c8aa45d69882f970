#!/usr/bin/env bash
# PostgreSQL for Hotline's tests and development: Debian's package, and throwaway clusters.
#
#   scripts/postgres.sh install        install Debian's `postgresql` package if it is missing (idempotent;
#                                      needs root; creates no system cluster)
#   scripts/postgres.sh bindir         print the directory of initdb/pg_ctl (newest version installed)
#   scripts/postgres.sh start DIR [PORT]
#                                      initdb a throwaway cluster in DIR/data (trust auth, superuser
#                                      `hotline`, fsync off) and start it on 127.0.0.1:PORT (default: a
#                                      free port), its socket and log in DIR; prints the database URL
#                                      (also written to DIR/url). As root, the cluster runs as the OS user
#                                      `postgres` (PostgreSQL refuses to run as root) and DIR is chowned.
#   scripts/postgres.sh stop DIR       stop it (the files stay; remove DIR yourself)
set -euo pipefail

die() { echo "postgres.sh: $*" >&2; exit 1; }

bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] || return 1
  echo "$dir"
}

install_pg() {
  if bindir >/dev/null; then
    echo "postgres.sh: PostgreSQL is installed ($(bindir))"
    return 0
  fi
  [ "$(id -u)" -eq 0 ] || die "PostgreSQL is not installed and installing it needs root: sudo $0 install"
  # the tests start their own clusters: no system-wide 'main' cluster on port 5432
  mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/hotline-no-main-cluster.conf
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends postgresql >/dev/null 2>&1; then
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends postgresql >/dev/null
  fi
  bindir >/dev/null || die "installed the postgresql package but found no initdb under /usr/lib/postgresql"
  echo "postgres.sh: installed PostgreSQL ($(bindir))"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# run a command as the cluster's owner: ourselves, or `postgres` when we are root
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start() {
  local dir=${1:?usage: $0 start DIR [PORT]} port=${2:-} bin
  bin=$(bindir) || die "PostgreSQL is not installed: run $0 install (as root)"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "no OS user 'postgres' (it comes with Debian's postgresql package)"
    chown postgres: "$dir"
    chmod 700 "$dir"
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$dir/data" -U hotline --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  fi
  local tries=0
  while :; do
    [ -n "$port" ] || port=$(free_port)
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
      "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$dir' -c fsync=off \
       -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=64MB" \
      >/dev/null; then
      break
    fi
    tries=$((tries + 1))
    if [ -n "${2:-}" ] || [ "$tries" -ge 5 ]; then
      tail -n 20 "$dir/server.log" >&2 || true
      die "could not start PostgreSQL in $dir"
    fi
    port=""  # somebody took the port meanwhile: try another
  done
  echo "postgresql://hotline@127.0.0.1:$port/postgres" | tee "$dir/url"
}

stop() {
  local dir=${1:?usage: $0 stop DIR} bin
  bin=$(bindir) || die "PostgreSQL is not installed"
  [ -f "$dir/data/postmaster.pid" ] || { echo "postgres.sh: no server running in $dir"; return 0; }
  as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
}

case "${1:-}" in
  install) install_pg ;;
  bindir) bindir || die "PostgreSQL is not installed" ;;
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) die "usage: $0 install | bindir | start DIR [PORT] | stop DIR" ;;
esac
