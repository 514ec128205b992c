#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the tests (installing Debian's server if it is missing) and
# prints its URL. Usage: tools/pg_test_server.sh start DIR PORT | stop DIR
set -euo pipefail
action=${1:?start|stop}; dir=${2:?data directory}; port=${3:-54329}
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
# The server refuses to run as root: run it as the postgres user when we are root.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$action" in
  start)
    [ -d "$dir/data" ] && as_pg "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$dir"; mkdir -p "$dir"; [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_pg "$bin/initdb" -D "$dir/data" -U console -A trust >/dev/null
    as_pg "$bin/pg_ctl" -D "$dir/data" -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" -l "$dir/log" -w start >/dev/null
    as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U console console_test
    echo "postgresql://console@127.0.0.1:$port/console_test"
    ;;
  stop)
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null || true
    ;;
esac
