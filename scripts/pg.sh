#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on a local port, for the PostgreSQL half of the test suite and
# for the benchmarks: `scripts/pg.sh start` prints the URL to export as SALESAGENT_TEST_PG;
# `scripts/pg.sh stop` stops it and removes its files; `down` and `up` stop and start it keeping
# them (the outage test). Runs the server as an unprivileged user (initdb refuses root):
# `postgres` when we are root, ourselves otherwise.
#   PGPORT=55432 PGDATA_DIR=/tmp/salesagent-pg   (defaults)
#   SYNC=off scripts/pg.sh start                 (fsync off: only for quick local loops)
#   SSL=on scripts/pg.sh start                   (TLS only: a CA of its own at $PGDATA_DIR/ca.crt
#                                                 signs the server's certificate for 127.0.0.1;
#                                                 connections without TLS are refused)
set -euo pipefail
PORT=${PGPORT:-55432}
DIR=${PGDATA_DIR:-/tmp/salesagent-pg}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "PostgreSQL is not installed: apt-get install -y postgresql" >&2; exit 3; }
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
# A CA of the cluster's own signs a server certificate for 127.0.0.1 and localhost; the server
# then accepts TLS connections only.
tls_only() {
    local t="$DIR/tls"
    mkdir -p "$t"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=salesagent test CA" \
        -keyout "$t/ca.key" -out "$DIR/ca.crt" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$t/server.key" -out "$t/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$t/san.ext"
    openssl x509 -req -in "$t/server.csr" -CA "$DIR/ca.crt" -CAkey "$t/ca.key" -CAcreateserial \
        -days 2 -extfile "$t/san.ext" -out "$t/server.crt" 2>/dev/null
    chmod 600 "$t/server.key"
    [ "$(id -u)" = 0 ] && chown -R postgres "$t"
    cat >>"$DIR/data/postgresql.conf" <<CONF
ssl = on
ssl_cert_file = '$t/server.crt'
ssl_key_file = '$t/server.key'
CONF
    printf 'hostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\nlocal all all trust\n' \
        >"$DIR/data/pg_hba.conf"
}

case "${1:-}" in
start)
    if [ -f "$DIR/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
        echo "postgres://postgres@127.0.0.1:$PORT/postgres"
        exit 0
    fi
    rm -rf "$DIR" && mkdir -p "$DIR"
    [ "$(id -u)" = 0 ] && chown postgres "$DIR"
    as_owner "$bin/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 --locale=C >"$DIR/initdb.log" 2>&1 \
        || { cat "$DIR/initdb.log" >&2; exit 1; }
    cat >>"$DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR'
max_connections = 400
shared_buffers = 256MB
synchronous_commit = on
fsync = ${SYNC:-on}
log_min_messages = warning
CONF
    [ "${SSL:-off}" = on ] && tls_only
    as_owner "$bin/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start >/dev/null \
        || { cat "$DIR/server.log" >&2; exit 1; }
    echo "postgres://postgres@127.0.0.1:$PORT/postgres"
    ;;
restart)
    as_owner "$bin/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 -m fast restart >/dev/null
    ;;
down)
    # Stops the server but keeps its files, for `up` (the outage tests).
    as_owner "$bin/pg_ctl" -D "$DIR/data" -w -t 60 -m fast stop >/dev/null
    ;;
up)
    as_owner "$bin/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start >/dev/null
    ;;
stop)
    [ -d "$DIR/data" ] && as_owner "$bin/pg_ctl" -D "$DIR/data" -w -t 60 -m fast stop >/dev/null 2>&1 || true
    rm -rf "$DIR"
    ;;
*)
    echo "usage: scripts/pg.sh start|restart|down|up|stop" >&2
    exit 2
    ;;
esac
