#!/usr/bin/env bash
# Throwaway Redis and PostgreSQL for one test run.
#
#   scripts/services.sh start <dir>   start both on free 127.0.0.1 ports, data/logs in <dir>,
#                                     wait until ready, write <dir>/env
#   scripts/services.sh stop <dir>    stop both (safe to call twice, or after a failed start)
#   scripts/services.sh status <dir>  show what runs
#   scripts/services.sh postgres-stop <dir>   stop only PostgreSQL (outage tests)
#   scripts/services.sh postgres-start <dir>  start it again on the same port
#   scripts/services.sh redis-start <dir>     start a stopped Redis again on the same port, from its AOF
#
# <dir>/env holds:
#   export BROKERHUB_TEST_REDIS_URL=redis://127.0.0.1:PORT/0
#   export BROKERHUB_TEST_REDIS_CLUSTER_URL=redis+cluster://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3
#   export BROKERHUB_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:PORT/brokerhub_test
#   export BROKERHUB_TEST_SERVICES_DIR=<dir>   (for postgres-stop / postgres-start)
#
# The cluster is three masters (no replicas; `redis-cli --cluster create`), each also using port+10000
# for its cluster bus. Layout of <dir>: redis/ (AOF, pidfile, redis.log), redis-cluster/1..3/, postgres/ (data/, sock/, postgres.log;
# owned by the PostgreSQL OS user), ports and state files.
#
# PostgreSQL refuses to run as root: as root the server runs as an unprivileged system user
# (BROKERHUB_TEST_PG_OSUSER, default `brokerhub-test`, created once with useradd -r; falls
# back to `postgres`). Other knobs: BROKERHUB_PG_BIN (server bin dir; default the newest
# /usr/lib/postgresql/*/bin), BROKERHUB_TEST_READY_TIMEOUT (seconds, default 60).
set -euo pipefail

PROG="services.sh"
READY_TIMEOUT="${BROKERHUB_TEST_READY_TIMEOUT:-60}"
PG_DB="brokerhub_test"
PG_SUPERUSER="postgres"

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
is_root() { [[ "$(id -u)" -eq 0 ]]; }

usage() {
  echo "usage: $0 start|stop|status|postgres-stop|postgres-start|redis-start <dir>" >&2
  exit 2
}

# --- helpers -------------------------------------------------------------------------------

find_pg_bin() {
  if [[ -n "${BROKERHUB_PG_BIN:-}" ]]; then
    [[ -x "$BROKERHUB_PG_BIN/pg_ctl" ]] || die "BROKERHUB_PG_BIN=$BROKERHUB_PG_BIN has no pg_ctl"
    echo "$BROKERHUB_PG_BIN"
    return
  fi
  local d best=""
  while IFS= read -r d; do
    [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]] && best="$d"
  done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V)
  if [[ -z "$best" ]] && command -v pg_ctl >/dev/null 2>&1; then
    best="$(dirname "$(readlink -f "$(command -v pg_ctl)")")"
  fi
  [[ -n "$best" ]] || die "no PostgreSQL server binaries found (run scripts/install-deps.sh)"
  echo "$best"
}

# A free TCP port on 127.0.0.1. Free *now*: the caller still checks that its server got it.
free_port() {
  local py port
  for py in python3 /usr/bin/python3 python; do
    if command -v "$py" >/dev/null 2>&1 &&
      port="$("$py" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])' 2>/dev/null)" && [[ "$port" =~ ^[0-9]+$ ]]; then
      echo "$port"
      return
    fi
  done
  # Fallback: probe random ports; a refused connection means nobody listens there.
  local _
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  die "could not find a free port"
}

# Running (not a zombie: an exited daemon waits for PID 1 to reap it) ...
pid_running() { # pid
  local state
  [[ "$1" =~ ^[0-9]+$ ]] || return 1
  state="$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)" || return 1
  [[ -n "$state" && "$state" != "Z" && "$state" != "X" ]]
}

# ... and the program we expect (guards against a reused pid).
pid_alive_as() { # pid comm
  pid_running "$1" && [[ "$(cat "/proc/$1/comm" 2>/dev/null)" == "$2"* ]]
}

wait_gone() { # pid seconds
  local pid="$1" tenths=$(($2 * 10))
  while ((tenths > 0)); do
    pid_running "$pid" || return 0
    sleep 0.1
    tenths=$((tenths - 1))
  done
  ! pid_running "$pid"
}

show_log() { # file
  if [[ -r "$1" ]]; then
    log "last lines of $1:"
    tail -n 20 "$1" | sed 's/^/    /' >&2
  fi
}

# Serialise "pick a port + start a server + wait for it" between concurrent runs of this script
# so that two runs never pick the same port. (Collisions with unrelated processes are handled
# by retrying with another port.)
# The lock is held on fd 9; every server we start gets `9>&-` so that it does not inherit
# (and keep holding) the lock after it daemonizes.
LOCKED=0
lock_ports() {
  command -v flock >/dev/null 2>&1 || return 0
  local lockfile
  lockfile="${XDG_RUNTIME_DIR:-/tmp}/brokerhub-services-$(id -u).lock"
  exec 9>>"$lockfile"
  flock -w 120 9 || die "timed out waiting for $lockfile"
  LOCKED=1
}
unlock_ports() {
  if ((LOCKED)); then
    exec 9>&-
    LOCKED=0
  fi
}

# --- PostgreSQL OS user --------------------------------------------------------------------

PG_OSUSER=""
as_pg() {
  if is_root; then
    runuser -u "$PG_OSUSER" -- "$@"
  else
    "$@"
  fi
}

ensure_pg_osuser() {
  if ! is_root; then
    PG_OSUSER="$(id -un)"
    return
  fi
  local want="${BROKERHUB_TEST_PG_OSUSER:-brokerhub-test}"
  if ! getent passwd "$want" >/dev/null; then
    # Concurrent runs may race here; whoever loses finds the user created by the other.
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin --comment "BrokerHub throwaway test PostgreSQL" "$want" \
      >/dev/null 2>&1 || sleep 1
  fi
  if getent passwd "$want" >/dev/null; then
    PG_OSUSER="$want"
  elif [[ -z "${BROKERHUB_TEST_PG_OSUSER:-}" ]] && getent passwd postgres >/dev/null; then
    log "could not create user $want; using postgres"
    PG_OSUSER="postgres"
  else
    die "no unprivileged user to run PostgreSQL as (useradd $want failed)"
  fi
}

# --- start ---------------------------------------------------------------------------------

# Lines of a log file written after line $2 (so that retries do not see older attempts).
log_since() { # file lines-before
  if [[ -r "$1" ]]; then tail -n "+$(($2 + 1))" "$1"; fi
}
log_lines() { # file
  if [[ -r "$1" ]]; then wc -l <"$1"; else echo 0; fi
}

start_redis() {
  local dir="$1" rdir="$1/redis" logf
  command -v redis-server >/dev/null || die "redis-server not found (run scripts/install-deps.sh)"
  command -v redis-cli >/dev/null || die "redis-cli not found (run scripts/install-deps.sh)"
  mkdir -p "$rdir"
  rdir="$(cd "$rdir" && pwd -P)"
  logf="$rdir/redis.log"
  local attempt port tenths before failed
  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    before="$(log_lines "$logf")"
    rm -f "$rdir/redis.pid"
    if ! redis-server --appendonly yes --dir "$rdir" --port "$port" --bind 127.0.0.1 \
      --daemonize yes --pidfile "$rdir/redis.pid" --save "" \
      --logfile "$logf" --protected-mode yes 9>&-; then
      show_log "$logf"
      die "redis-server failed to start"
    fi
    failed=0
    tenths=$((READY_TIMEOUT * 10))
    while ((tenths > 0)); do
      # Could not listen (port taken meanwhile)? Then retry with another port.
      if grep -qiE 'address already in use|failed listening|could not create server tcp' \
        < <(log_since "$logf" "$before"); then
        failed=1
        break
      fi
      # Redis writes its pidfile once it listens. Then: ready, and really ours (not some other
      # server that owns this port)? Time-boxed: a foreign process on the port may never answer.
      if [[ -s "$rdir/redis.pid" ]] &&
        [[ "$(timeout 2 redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == "PONG" ]] &&
        [[ "$(timeout 2 redis-cli -h 127.0.0.1 -p "$port" config get dir 2>/dev/null | sed -n 2p)" == "$rdir" ]]; then
        echo "$port" >"$dir/redis.port"
        log "redis ready on 127.0.0.1:$port (pid $(cat "$rdir/redis.pid"))"
        return 0
      fi
      sleep 0.1
      tenths=$((tenths - 1))
    done
    if ((failed == 0)); then
      show_log "$logf"
      die "redis on port $port not ready after ${READY_TIMEOUT}s"
    fi
    log "redis could not use port $port (attempt $attempt), trying another"
  done
  show_log "$logf"
  die "redis-server failed to start after 5 attempts"
}

# A port P with P and P+10000 (the cluster bus) both free on 127.0.0.1 now.
free_cluster_port() {
  python3 -c 'import random, socket
for _ in range(500):
    p = random.randint(20000, 45000)
    ok = True
    for q in (p, p + 10000):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", q))
        except OSError:
            ok = False
        finally:
            s.close()
    if ok:
        print(p)
        break' || die "could not find a free port pair for the Redis Cluster"
}

# Three cluster-enabled redis-servers joined into one cluster covering all 16,384 slots.
start_redis_cluster() {
  local dir="$1" cdir="$1/redis-cluster" i attempt port logf tenths ready addrs=() ports=()
  mkdir -p "$cdir"
  cdir="$(cd "$cdir" && pwd -P)"
  for i in 1 2 3; do
    mkdir -p "$cdir/$i"
    logf="$cdir/$i/redis.log"
    ready=0
    for attempt in 1 2 3 4 5; do
      port="$(free_cluster_port)"
      [[ -n "$port" ]] || die "no free port pair for the Redis Cluster"
      rm -f "$cdir/$i/redis.pid" "$cdir/$i/nodes.conf"
      redis-server --cluster-enabled yes --cluster-config-file "$cdir/$i/nodes.conf" --cluster-node-timeout 5000 \
        --appendonly no --save "" --dir "$cdir/$i" --port "$port" --bind 127.0.0.1 --daemonize yes \
        --pidfile "$cdir/$i/redis.pid" --logfile "$logf" --protected-mode yes 9>&- ||
        die "redis-server (cluster node $i) failed to start"
      tenths=$((READY_TIMEOUT * 10))
      while ((tenths > 0)); do
        if [[ -s "$cdir/$i/redis.pid" ]] &&
          [[ "$(timeout 2 redis-cli -h 127.0.0.1 -p "$port" config get dir 2>/dev/null | sed -n 2p)" == "$cdir/$i" ]]; then
          ready=1
          break
        fi
        if grep -qiE 'address already in use|failed listening|could not create server tcp' "$logf" 2>/dev/null; then break; fi
        sleep 0.1
        tenths=$((tenths - 1))
      done
      ((ready == 1)) && break
      stop_pidfile "$cdir/$i/redis.pid" "$port"
      : >"$logf"
      log "redis cluster node $i could not use port $port (attempt $attempt), trying another"
    done
    ((ready == 1)) || { show_log "$logf"; die "redis cluster node $i did not start"; }
    ports+=("$port")
    addrs+=("127.0.0.1:$port")
  done
  printf '%s\n' "${ports[@]}" >"$dir/redis-cluster.ports"
  if ! timeout 60 redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes >"$cdir/create.log" 2>&1; then
    show_log "$cdir/create.log"
    die "redis-cli --cluster create failed"
  fi
  tenths=$((READY_TIMEOUT * 10))
  while ((tenths > 0)); do
    ready=1
    for port in "${ports[@]}"; do
      timeout 2 redis-cli -h 127.0.0.1 -p "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || ready=0
    done
    ((ready == 1)) && break
    sleep 0.1
    tenths=$((tenths - 1))
  done
  ((ready == 1)) || die "redis cluster not ok after ${READY_TIMEOUT}s"
  log "redis cluster ready on ${addrs[*]}"
}

# Stops the redis-server of a pidfile (SHUTDOWN NOSAVE, then TERM, then KILL) and removes the pidfile.
stop_pidfile() { # pidfile port
  local pid=""
  [[ -f "$1" ]] && pid="$(cat "$1" 2>/dev/null || true)"
  if pid_alive_as "$pid" redis-server; then
    if [[ -n "$2" ]] && command -v redis-cli >/dev/null; then
      timeout 10 redis-cli -h 127.0.0.1 -p "$2" shutdown nosave >/dev/null 2>&1 || true
    fi
    if ! wait_gone "$pid" 10; then
      if pid_alive_as "$pid" redis-server; then kill -TERM "$pid" 2>/dev/null || true; fi
      if ! wait_gone "$pid" 10; then
        if pid_alive_as "$pid" redis-server; then kill -KILL "$pid" 2>/dev/null || true; fi
        wait_gone "$pid" 5 || log "warning: redis pid $pid still alive"
      fi
    fi
  fi
  rm -f "$1"
}

stop_redis_cluster() {
  local dir="$1" i port
  [[ -d "$dir/redis-cluster" ]] || return 0
  for i in 1 2 3; do
    port="$(sed -n "${i}p" "$dir/redis-cluster.ports" 2>/dev/null || true)"
    stop_pidfile "$dir/redis-cluster/$i/redis.pid" "$port"
  done
  log "redis cluster stopped"
}

PG_BIN_DIR=""
prepare_postgres() {
  local dir="$1" pdir data sock
  PG_BIN_DIR="$(find_pg_bin)"
  ensure_pg_osuser
  pdir="$dir/postgres"
  data="$pdir/data"
  sock="$pdir/sock"
  mkdir -p "$pdir" "$sock"
  # Unix socket paths are limited to 107 bytes.
  ((${#sock} + 20 < 107)) || die "socket dir path too long: $sock (use a shorter <dir>)"
  if is_root; then
    chmod a+x "$dir" # mktemp -d makes 0700 dirs; the server user must traverse it
    chown -R "$PG_OSUSER:" "$pdir"
    as_pg test -w "$pdir" ||
      die "user $PG_OSUSER cannot reach $pdir (a parent directory is not traversable); use a <dir> under /tmp"
  fi
  printf 'PG_BIN=%s\nPG_OSUSER=%s\n' "$PG_BIN_DIR" "$PG_OSUSER" >"$dir/postgres.state"

  if [[ ! -f "$data/PG_VERSION" ]]; then
    if ! as_pg "$PG_BIN_DIR/initdb" -D "$data" -U "$PG_SUPERUSER" --auth=trust -E UTF8 --locale=C \
      --no-sync >"$pdir/initdb.log" 2>&1; then
      show_log "$pdir/initdb.log"
      die "initdb failed"
    fi
    # Throwaway cluster: loopback + our socket dir only; durability off for speed.
    as_pg tee -a "$data/postgresql.conf" >/dev/null <<CONF

# --- BrokerHub throwaway test cluster ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sock'
fsync = off
full_page_writes = off
max_connections = 200
CONF
  fi
}

start_postgres() {
  local dir="$1" pdir="$1/postgres" data="$1/postgres/data" logf="$1/postgres/postgres.log"
  local attempt port before
  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    before="$(log_lines "$logf")"
    if as_pg "$PG_BIN_DIR/pg_ctl" -D "$data" -l "$logf" -o "-p $port" -w -t "$READY_TIMEOUT" start \
      >"$pdir/pg_ctl.log" 2>&1 9>&-; then
      if ! "$PG_BIN_DIR/pg_isready" -q -h 127.0.0.1 -p "$port" -U "$PG_SUPERUSER" -d postgres \
        -t "$READY_TIMEOUT"; then
        show_log "$logf"
        die "postgres on port $port not accepting connections after ${READY_TIMEOUT}s"
      fi
      echo "$port" >"$dir/postgres.port"
      log "postgres ready on 127.0.0.1:$port ($PG_BIN_DIR, OS user $PG_OSUSER)"
      return 0
    fi
    if grep -qiE 'could not bind|could not create any TCP/IP sockets|address already in use' \
      < <(log_since "$logf" "$before"); then
      log "postgres could not use port $port (attempt $attempt), trying another"
      as_pg "$PG_BIN_DIR/pg_ctl" -D "$data" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
      continue
    fi
    sed 's/^/    /' "$pdir/pg_ctl.log" >&2 || true
    show_log "$logf"
    die "postgres failed to start (pg_ctl output and log above)"
  done
  show_log "$logf"
  die "postgres failed to start after 5 attempts"
}

create_db() {
  local dir="$1" port exists
  port="$(cat "$dir/postgres.port")"
  exists="$(PGCONNECT_TIMEOUT=10 "$PG_BIN_DIR/psql" -X -q -h 127.0.0.1 -p "$port" -U "$PG_SUPERUSER" -d postgres \
    -v ON_ERROR_STOP=1 -tAc "select 1 from pg_database where datname = '$PG_DB'")" ||
    die "cannot query postgres on port $port"
  if [[ "$exists" != "1" ]]; then
    PGCONNECT_TIMEOUT=10 "$PG_BIN_DIR/createdb" -h 127.0.0.1 -p "$port" -U "$PG_SUPERUSER" "$PG_DB" ||
      die "createdb $PG_DB failed"
  fi
}

START_DIR=""
on_start_exit() {
  local rc=$?
  if ((rc != 0)) && [[ -n "$START_DIR" ]]; then
    unlock_ports
    log "start failed, stopping what was started"
    cmd_stop "$START_DIR" || true
  fi
}

cmd_start() {
  local dir="$1"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd -P)"
  START_DIR="$dir"
  # If anything below fails (or we are interrupted), leave nothing half-started behind.
  trap on_start_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  lock_ports
  start_redis "$dir"
  start_redis_cluster "$dir"
  unlock_ports
  prepare_postgres "$dir" # initdb is slow: outside the lock
  lock_ports
  start_postgres "$dir"
  unlock_ports
  create_db "$dir"
  local rport pport cluster
  rport="$(cat "$dir/redis.port")"
  pport="$(cat "$dir/postgres.port")"
  cluster="$(sed 's/^/127.0.0.1:/' "$dir/redis-cluster.ports" | paste -sd, -)"
  cat >"$dir/env.tmp" <<ENV
export BROKERHUB_TEST_REDIS_URL=redis://127.0.0.1:$rport/0
export BROKERHUB_TEST_REDIS_CLUSTER_URL=redis+cluster://$cluster
export BROKERHUB_TEST_POSTGRES_URL=postgres://$PG_SUPERUSER@127.0.0.1:$pport/$PG_DB
export BROKERHUB_TEST_SERVICES_DIR=$dir
ENV
  mv "$dir/env.tmp" "$dir/env"
  START_DIR=""
  log "wrote $dir/env"
}

# --- stop ----------------------------------------------------------------------------------

stop_redis() {
  local dir="$1" rdir="$1/redis" pid="" port=""
  [[ -f "$rdir/redis.pid" ]] && pid="$(cat "$rdir/redis.pid" 2>/dev/null || true)"
  [[ -f "$dir/redis.port" ]] && port="$(cat "$dir/redis.port" 2>/dev/null || true)"
  if ! pid_alive_as "$pid" redis-server; then
    rm -f "$rdir/redis.pid"
    return 0
  fi
  stop_pidfile "$rdir/redis.pid" "$port"
  log "redis stopped"
}

stop_postgres() {
  local dir="$1" data="$1/postgres/data" pid="" PG_BIN="" PG_OSUSER_SAVED=""
  [[ -f "$data/postmaster.pid" ]] || return 0
  pid="$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)"
  if ! pid_alive_as "$pid" postgres; then
    return 0
  fi
  if [[ -f "$dir/postgres.state" ]]; then
    PG_BIN="$(sed -n 's/^PG_BIN=//p' "$dir/postgres.state")"
    PG_OSUSER_SAVED="$(sed -n 's/^PG_OSUSER=//p' "$dir/postgres.state")"
  fi
  [[ -n "$PG_BIN" ]] || PG_BIN="$(find_pg_bin)"
  if [[ -n "$PG_OSUSER_SAVED" ]]; then
    PG_OSUSER="$PG_OSUSER_SAVED"
  else
    PG_OSUSER="$(stat -c %U "$data")"
  fi
  if ! as_pg "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null 2>&1; then
    as_pg "$PG_BIN/pg_ctl" -D "$data" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
  fi
  if pid_alive_as "$pid" postgres; then
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 5 || log "warning: postgres pid $pid still alive"
  fi
  log "postgres stopped"
}

cmd_stop() {
  local dir="$1"
  [[ -d "$dir" ]] || return 0
  local rc=0
  stop_redis "$dir" || rc=1
  stop_redis_cluster "$dir" || rc=1
  stop_postgres "$dir" || rc=1
  return "$rc"
}

# Restarts the stopped PostgreSQL of <dir> on the port it had (the URL in <dir>/env stays valid).
cmd_postgres_start() {
  local dir="$1" data="$1/postgres/data" logf="$1/postgres/postgres.log" port
  port="$(cat "$dir/postgres.port")"
  PG_BIN_DIR="$(sed -n 's/^PG_BIN=//p' "$dir/postgres.state")"
  PG_OSUSER="$(sed -n 's/^PG_OSUSER=//p' "$dir/postgres.state")"
  as_pg "$PG_BIN_DIR/pg_ctl" -D "$data" -l "$logf" -o "-p $port" -w -t "$READY_TIMEOUT" start >/dev/null 2>&1 9>&- ||
    die "postgres did not start again on port $port"
  "$PG_BIN_DIR/pg_isready" -q -h 127.0.0.1 -p "$port" -U "$PG_SUPERUSER" -d postgres -t "$READY_TIMEOUT" ||
    die "postgres on port $port not accepting connections"
  log "postgres started again on 127.0.0.1:$port"
}

# Starts the stopped Redis of <dir> again on the port it had, from its append-only file (the URL in <dir>/env
# stays valid).
cmd_redis_start() {
  local dir="$1" rdir="$1/redis" port tenths
  port="$(cat "$dir/redis.port")"
  rm -f "$rdir/redis.pid"
  redis-server --appendonly yes --dir "$rdir" --port "$port" --bind 127.0.0.1 --daemonize yes \
    --pidfile "$rdir/redis.pid" --save "" --logfile "$rdir/redis.log" --protected-mode yes 9>&- ||
    die "redis did not start again on port $port"
  tenths=$((READY_TIMEOUT * 10))
  while ((tenths > 0)); do
    [[ "$(timeout 2 redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == "PONG" ]] && { log "redis started again on 127.0.0.1:$port"; return 0; }
    sleep 0.1
    tenths=$((tenths - 1))
  done
  die "redis on port $port not ready after ${READY_TIMEOUT}s"
}

cmd_status() {
  local dir="$1" pid
  pid="$(cat "$dir/redis/redis.pid" 2>/dev/null || true)"
  if pid_alive_as "$pid" redis-server; then
    echo "redis: running, pid $pid, port $(cat "$dir/redis.port" 2>/dev/null)"
  else
    echo "redis: stopped"
  fi
  pid="$(head -n 1 "$dir/postgres/data/postmaster.pid" 2>/dev/null || true)"
  if pid_alive_as "$pid" postgres; then
    echo "postgres: running, pid $pid, port $(cat "$dir/postgres.port" 2>/dev/null)"
  else
    echo "postgres: stopped"
  fi
  [[ -f "$dir/env" ]] && cat "$dir/env"
  return 0
}

(($# == 2)) || usage
[[ -n "$2" ]] || usage
case "$1" in
  start) cmd_start "$2" ;;
  stop) cmd_stop "$2" ;;
  status) cmd_status "$2" ;;
  postgres-stop) stop_postgres "$(cd "$2" && pwd -P)" ;;
  postgres-start) cmd_postgres_start "$(cd "$2" && pwd -P)" ;;
  redis-start) cmd_redis_start "$(cd "$2" && pwd -P)" ;;
  *) usage ;;
esac
