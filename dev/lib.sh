# Shared set-up for the dev commands (sourced, not run). Every step is idempotent, so each
# command can start from a fresh clone on a fresh machine.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEV="$ROOT/.dev"                      # git-ignored: cluster, addons path, logs, configs
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
ODOO_SRC=${ODOO_SRC:-/opt/odoo/18.0}
PGHOST=127.0.0.1
PGUSER_ODOO=odoo
MODULE=teleum_telephony
PGPORT_FILE="$DEV/pgport"             # the port this checkout's cluster last started on
# The first port tried when none is remembered (TELEUM_PGPORT_DEFAULT: for tests of the port choice).
DEFAULT_PGPORT=${TELEUM_PGPORT_DEFAULT:-55432}
# Final value set by ensure_pg: TELEUM_PGPORT, else the running cluster's, else the remembered one.
PGPORT=${TELEUM_PGPORT:-$(cat "$PGPORT_FILE" 2>/dev/null || true)}
case $PGPORT in ''|*[!0-9]*) PGPORT=$DEFAULT_PGPORT ;; esac
# No connection waits forever on a port held by something that accepts and never answers (a
# tunnel, a hung server): libpq's connect timeout, read by psql, createdb, dropdb and Odoo's psycopg2.
PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-10}
export PGPORT PGHOST PGCONNECT_TIMEOUT

log() { printf '\033[1m[teleum]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[teleum] %s\033[0m\n' "$*" >&2; exit 1; }
case ${TELEUM_PGPORT:-0} in *[!0-9]*) die "TELEUM_PGPORT=$TELEUM_PGPORT is not a port number (for example: export TELEUM_PGPORT=55440)" ;; esac
case $DEFAULT_PGPORT in ''|*[!0-9]*) die "TELEUM_PGPORT_DEFAULT=$DEFAULT_PGPORT is not a port number" ;; esac

check_odoo() {
  if [ ! -f "$ODOO_SRC/odoo-bin" ] || [ ! -d "$ODOO_SRC/odoo/addons/base" ]; then
    die "Odoo 18.0 source not found at ODOO_SRC=$ODOO_SRC.
Get an Odoo 18.0 Community checkout (for example: git clone --depth 1 -b 18.0 <odoo repository> /opt/odoo/18.0)
and either put it at /opt/odoo/18.0 or run: export ODOO_SRC=/path/to/odoo-18.0"
  fi
  grep -q "version_info = (18, 0" "$ODOO_SRC/odoo/release.py" \
    || die "ODOO_SRC=$ODOO_SRC is not Odoo 18.0 (see $ODOO_SRC/odoo/release.py)."
}

ensure_venv() {
  local stamp="$VENV/.requirements.sha"
  local want
  want=$(cat "$ROOT"/requirements/*.txt | sha1sum | cut -d' ' -f1)
  if [ -x "$PY" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
  log "Installing the virtualenv in .venv (Odoo 18 requirements + ours, pinned in requirements/)"
  [ -x "$PY" ] || python3 -m venv "$VENV"
  "$PY" -m pip install -q --disable-pip-version-check --upgrade pip wheel setuptools
  "$PY" -m pip install -q --disable-pip-version-check \
    -r "$ROOT/requirements/odoo18.txt" -r "$ROOT/requirements/dev.txt"
  echo "$want" > "$stamp"
}

pg_bindir() {
  local d
  for d in "$(pg_config --bindir 2>/dev/null || true)" /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return; fi
  done
  die "PostgreSQL server binaries not found: apt-get install postgresql"
}

# Run a PostgreSQL tool as the 'postgres' system user (the server refuses to run as root), from
# / since postgres may not enter the current folder (all paths given are absolute).
as_pg() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# Where this checkout's cluster lives. A cluster already in .dev/pgdata stays there; a non-root
# user runs PostgreSQL as themself in .dev/pgdata. As root the server runs as 'postgres', which
# may not pass through the checkout's parent folders (a `mktemp -d` folder, /root): a new cluster
# goes to the postgres user's home, in a folder named after the checkout's path
# (/var/lib/postgresql/teleum-pg/<folder>-<hash>). Not /var/tmp: systemd-tmpfiles empties it of
# files untouched for 30 days, which would break a cluster left alone for a month.
pg_data_dir() {
  if [ -f "$DEV/pgdata/PG_VERSION" ] || [ "$(id -u)" != 0 ]; then echo "$DEV/pgdata"; return; fi
  local home
  home=$(getent passwd postgres | cut -d: -f6 || true)
  echo "${home:-/nonexistent}/teleum-pg/$(basename "$ROOT")-$(cd "$ROOT" && pwd -P | sha1sum | cut -c1-12)"
}
PGDATA_DIR=$(pg_data_dir)

# The port of this checkout's cluster if it is running (its postmaster.pid), else nothing.
pg_running_port() {
  as_pg "$(pg_bindir)/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1 || return 0
  sed -n 4p "$PGDATA_DIR/postmaster.pid"
}

# Create (once) and start this checkout's cluster. The port: TELEUM_PGPORT if given (a port held
# by anything else stops the command, naming it); else a running cluster keeps its own; else the
# remembered port (55432 the first time) if free, or the next free one: a port is taken when
# anything listens on it, PostgreSQL or not, so one held by a hung process is passed over without
# connecting to it. The choice is remembered in .dev/pgport, so that dev/run and dev/test agree.
ensure_pg() {
  local bin data=$PGDATA_DIR running tries
  bin=$(pg_bindir)
  mkdir -p "$DEV"
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    die "Run as root, PostgreSQL runs as the 'postgres' system user, which does not exist: apt-get install postgresql (it creates it), or run this command as a normal user."
  fi
  # Two commands of this checkout starting at once: the second waits, then finds the cluster up.
  # (The server must not inherit this lock: pg_ctl runs with fd 9 closed.)
  exec 9>"$DEV/pg.lock"
  command -v flock >/dev/null 2>&1 && flock 9
  running=$(pg_running_port)
  if [ -n "$running" ]; then
    [ -z "${TELEUM_PGPORT:-}" ] || [ "$TELEUM_PGPORT" = "$running" ] \
      || die "This checkout's PostgreSQL ($data) already runs on port $running, not TELEUM_PGPORT=$TELEUM_PGPORT: unset TELEUM_PGPORT, or stop it first: $(as_pg_hint) $bin/pg_ctl -D $data stop"
    PGPORT=$running
  elif [ -n "${TELEUM_PGPORT:-}" ]; then
    PGPORT=$TELEUM_PGPORT
    [ "$(free_port "$PGPORT")" = "$PGPORT" ] \
      || die "TELEUM_PGPORT=$PGPORT: port $PGPORT on $PGHOST is held by $(pg_port_holder "$PGPORT"), and this checkout's cluster ($data) is not running: choose a free port (export TELEUM_PGPORT=$(free_port $((PGPORT + 1)))), or unset TELEUM_PGPORT to take the first free one from $DEFAULT_PGPORT"
  else
    PGPORT=$(free_port "$PGPORT")
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    log "Creating the PostgreSQL cluster in $data"
    if [ "$(id -u)" = 0 ]; then
      [ -d "$(dirname "$(dirname "$data")")" ] \
        || die "The postgres user's home $(dirname "$(dirname "$data")") does not exist, and the cluster goes there when run as root: create it (mkdir -p DIR && chown postgres: DIR), or run this command as a normal user."
      install -d -m 755 "$(dirname "$data")"
      install -d -o postgres -g "$(id -gn postgres)" -m 700 "$data"
    else
      mkdir -p "$data"
    fi
    as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null \
      || die "initdb failed for $data (see above)"
    # The port is given again at each start (-p), so that the cluster can move to a free one.
    cat >> "$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 256MB
max_connections = 60
CONF
  fi
  if [ -z "$running" ]; then
    for tries in 1 2 3; do
      log "Starting PostgreSQL on $PGHOST:$PGPORT (cluster: $data, log: $data/server.log)"
      if as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -o "-p $PGPORT" -w -t 60 start >/dev/null 9>&-; then
        PG_STARTED_HERE=1; break
      fi
      # The port was taken between the check and the start: move on, unless it was asked for.
      if [ -z "${TELEUM_PGPORT:-}" ] && [ $tries -lt 3 ] && tail -5 "$data/server.log" | grep -q "Address already in use"; then
        PGPORT=$(free_port $((PGPORT + 1))); continue
      fi
      tail -5 "$data/server.log" >&2
      die "PostgreSQL did not start (cluster $data, see above and $data/server.log). If port $PGPORT is taken, choose another: export TELEUM_PGPORT=$(free_port $((PGPORT + 1)))"
    done
  else
    log "PostgreSQL runs on $PGHOST:$PGPORT (cluster: $data)"
  fi
  echo "$PGPORT" > "$PGPORT_FILE"
  exec 9>&-
  as_pg "$bin/pg_isready" -q -t 10 -h "$PGHOST" -p "$PGPORT" \
    || die "This checkout's PostgreSQL ($data) does not answer on $PGHOST:$PGPORT within 10 s (see $data/server.log); restart it: $(as_pg_hint) $bin/pg_ctl -D $data restart"
  pg_sql postgres "SELECT 1 FROM pg_roles WHERE rolname='$PGUSER_ODOO'" | grep -q 1 \
    || pg_sql postgres "CREATE ROLE $PGUSER_ODOO LOGIN CREATEDB" \
    || die "Could not create the role $PGUSER_ODOO on $PGHOST:$PGPORT (see above)"
}

# pg_sql DB SQL: one statement as postgres on this checkout's cluster ($PGPORT), rows printed
# unaligned; bounded (PGCONNECT_TIMEOUT for the connection, 120 s in all).
pg_sql() {
  as_pg timeout 120 "$(pg_bindir)/psql" -X -h "$PGHOST" -p "$PGPORT" -U postgres -d "$1" -qtAc "$2"
}

# pg_port_holder PORT: what holds PORT, in words, for the messages (pg_isready, 3 s at most).
pg_port_holder() {
  local rc=0
  as_pg "$(pg_bindir)/pg_isready" -q -t 3 -h "$PGHOST" -p "$1" || rc=$?
  case $rc in
    0) echo "another PostgreSQL server" ;;
    1) echo "a PostgreSQL server that refuses connections (starting up?)" ;;
    *) echo "something that accepts connections but does not answer as PostgreSQL (within 3 s)" ;;
  esac
}

# "runuser -u postgres --" when run as root: for the commands the messages suggest.
as_pg_hint() { if [ "$(id -u)" = 0 ]; then echo "runuser -u postgres --"; fi; }

PG_STARTED_HERE=0
# Stop PostgreSQL only if this command started it (another command may be using it).
stop_pg() {
  [ "$PG_STARTED_HERE" = 1 ] || return 0
  local bin; bin=$(pg_bindir)
  as_pg "$bin/pg_ctl" -D "$PGDATA_DIR" -m fast stop >/dev/null 2>&1 || true
}

# Odoo finds addons by folder name: link the checkout (any name) as .dev/addons/teleum_telephony.
ensure_addons_path() {
  mkdir -p "$DEV/addons"
  ln -sfn "$ROOT" "$DEV/addons/$MODULE"
}

# write_conf FILE DB [extra lines...]   (EXTRA_ADDONS: more addons folders, comma-separated)
write_conf() {
  local file=$1 db=$2; shift 2
  {
    echo "[options]"
    echo "addons_path = $ODOO_SRC/odoo/addons,$DEV/addons${EXTRA_ADDONS:+,$EXTRA_ADDONS}"
    echo "data_dir = $DEV/filestore"
    echo "db_host = $PGHOST"
    echo "db_port = $PGPORT"
    echo "db_user = $PGUSER_ODOO"
    echo "db_password = False"
    echo "db_name = $db"
    echo "dbfilter = ^$db\$"
    echo "list_db = False"
    for line in "$@"; do echo "$line"; done
  } > "$file"
}

# free_port START: the first TCP port from START on that nothing listens on (127.0.0.1): a bind
# test, which never waits for whatever holds a port.
free_port() {
  python3 - "$1" <<'PY'
import socket, sys
port = int(sys.argv[1])
while True:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            port += 1
            continue
    print(port)
    break
PY
}

odoo_bin() { "$PY" "$ODOO_SRC/odoo-bin" "$@"; }

dropdb_if_exists() {
  local bin; bin=$(pg_bindir)
  as_pg "$bin/dropdb" -h "$PGHOST" -p "$PGPORT" -U postgres --if-exists --force "$1"
  rm -rf "$DEV/filestore/filestore/$1"
}

# Chromium for the browser tests (Odoo tours): Debian's package, found by Odoo with `which chromium`.
ensure_chromium() {
  if command -v chromium >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1; then return; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "Installing Chromium (Debian package) for the browser tests"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >"$DEV/chromium-install.log" 2>&1 \
      || log "Chromium could not be installed (see $DEV/chromium-install.log): browser tests will be skipped"
  else
    log "Chromium not found: browser tests will be skipped (sudo apt-get install chromium)"
  fi
}

setup_all() {
  check_odoo
  ensure_venv
  ensure_pg
  ensure_addons_path
}

# A database with Odoo and our dependencies installed, copied for each test run (installing
# crm takes minutes; our module is installed fresh on each copy).
TEMPLATE_DB=teleum_template
ensure_template_db() {
  local bin deps stamp
  bin=$(pg_bindir)
  deps=$("$PY" -c "import ast,sys; print(','.join(ast.literal_eval(open('$ROOT/__manifest__.py').read())['depends']))")
  stamp="$deps|$(sha1sum "$ODOO_SRC/odoo/release.py" | cut -c1-12)"
  if pg_sql postgres "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname='$TEMPLATE_DB'" \
      | grep -qxF "$stamp"; then
    return
  fi
  log "Building the template database ($deps); this takes a few minutes once"
  dropdb_if_exists "$TEMPLATE_DB"
  write_conf "$DEV/template.conf" "$TEMPLATE_DB"
  odoo_bin -c "$DEV/template.conf" -d "$TEMPLATE_DB" -i "$deps" --stop-after-init --without-demo=all \
    --log-level=warn --logfile="$DEV/template.log" || { tail -30 "$DEV/template.log"; die "Template build failed"; }
  pg_sql postgres "COMMENT ON DATABASE $TEMPLATE_DB IS '$stamp'"
}

# ---------------------------------------------------------------- the helpdesk bridge
# OCA's helpdesk_mgmt (pinned in bridges/requirements.txt) goes to .dev/oca with pip --no-deps: its
# only requirement is the `odoo` package, which is ODOO_SRC. Not into the virtualenv: the wheel's
# odoo/addons/ folder in site-packages would join odoo.addons.__path__ (pkgutil.extend_path in
# odoo/addons/__init__.py) of every Odoo started from the venv, so helpdesk_mgmt would be listed on
# every database, including the one that tests the main addon alone; and `import odoo` without
# ODOO_SRC on the path would find an empty namespace package instead of failing.
OCA_DIR="$DEV/oca"
BRIDGE=teleum_telephony_helpdesk
HELPDESK_ADDONS="$OCA_DIR/odoo/addons,$DEV/bridges"
ensure_oca() {
  local stamp="$OCA_DIR/.requirements.sha" want
  want=$(sha1sum "$ROOT/bridges/requirements.txt" | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    log "Installing the OCA addons of bridges/requirements.txt into .dev/oca (pip --no-deps)"
    rm -rf "$OCA_DIR.new"
    "$PY" -m pip install -q --disable-pip-version-check --no-deps --target "$OCA_DIR.new" \
      -r "$ROOT/bridges/requirements.txt" || die "pip could not install bridges/requirements.txt"
    rm -rf "$OCA_DIR" && mv "$OCA_DIR.new" "$OCA_DIR"
    echo "$want" > "$stamp"
  fi
  # the bridge folder on its own addons path (the main addon's path stays without it)
  mkdir -p "$DEV/bridges"
  ln -sfn "$ROOT/bridges/$BRIDGE" "$DEV/bridges/$BRIDGE"
}

# The test template plus helpdesk_mgmt: copied from TEMPLATE_DB (never changed here).
HELPDESK_TEMPLATE_DB=teleum_template_helpdesk
ensure_helpdesk_template_db() {
  local bin stamp
  bin=$(pg_bindir)
  ensure_template_db
  stamp="$(pg_sql postgres "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname='$TEMPLATE_DB'")|$(cat "$OCA_DIR/.requirements.sha")"
  if pg_sql postgres "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname='$HELPDESK_TEMPLATE_DB'" \
      | grep -qxF "$stamp"; then
    return
  fi
  log "Building the helpdesk template database ($TEMPLATE_DB + helpdesk_mgmt)"
  dropdb_if_exists "$HELPDESK_TEMPLATE_DB"
  as_pg "$bin/createdb" -h "$PGHOST" -p "$PGPORT" -U postgres -O "$PGUSER_ODOO" -T "$TEMPLATE_DB" "$HELPDESK_TEMPLATE_DB"
  [ -d "$DEV/filestore/filestore/$TEMPLATE_DB" ] \
    && cp -a "$DEV/filestore/filestore/$TEMPLATE_DB" "$DEV/filestore/filestore/$HELPDESK_TEMPLATE_DB"
  EXTRA_ADDONS=$HELPDESK_ADDONS write_conf "$DEV/template-helpdesk.conf" "$HELPDESK_TEMPLATE_DB"
  odoo_bin -c "$DEV/template-helpdesk.conf" -d "$HELPDESK_TEMPLATE_DB" -i helpdesk_mgmt --stop-after-init \
    --without-demo=all --log-level=warn --logfile="$DEV/template-helpdesk.log" \
    || { tail -30 "$DEV/template-helpdesk.log"; die "Helpdesk template build failed"; }
  pg_sql postgres "COMMENT ON DATABASE $HELPDESK_TEMPLATE_DB IS '$stamp'"
}

# ---------------------------------------------------------------- test-only modules
# dev/test_modules (a module extending what the import creates) reached through links in
# .dev/test_modules, as the bridges are: pytest must not see the checkout (an addon itself) above them.
TEST_MODULES_ADDONS="$DEV/test_modules"
ensure_test_modules() {
  local module
  mkdir -p "$TEST_MODULES_ADDONS"
  for module in "$ROOT"/dev/test_modules/*/; do
    ln -sfn "${module%/}" "$TEST_MODULES_ADDONS/$(basename "$module")"
  done
}

# ---------------------------------------------------------------- the opt-in multi-process tests
# addon_db DB: a fresh database copied from the template, with the addon installed (dev/test-prefork,
# dev/test-servers).
addon_db() {
  local db=$1 conf="$DEV/$1-install.conf"
  ensure_template_db
  dropdb_if_exists "$db"
  as_pg "$(pg_bindir)/createdb" -h "$PGHOST" -p "$PGPORT" -U postgres -O "$PGUSER_ODOO" -T "$TEMPLATE_DB" "$db"
  write_conf "$conf" "$db"
  timeout 900 "$PY" "$ODOO_SRC/odoo-bin" -c "$conf" -d "$db" -i "$MODULE" --stop-after-init --without-demo=all \
    --log-level=warn --logfile="$DEV/$db-install.log" || { tail -30 "$DEV/$db-install.log"; die "installing $MODULE on $db failed"; }
}

# wait_http URL SECONDS: until URL answers (any HTTP status), or die.
wait_http() {
  local url=$1 tries=$(( $2 * 2 ))
  for _ in $(seq "$tries"); do
    curl -s -o /dev/null --max-time 2 "$url" && return 0
    sleep 0.5
  done
  die "$url did not answer within $2 s"
}
