#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for kiln's integration tests on 127.0.0.1 only
# and prints the line that enables them:
#
#	export KILN_TEST_POSTGRES_DSN=postgres://postgres@127.0.0.1:54329/kiln_test?sslmode=disable
#
# Use: eval "$(bash .ci/postgres.sh)"; stop it with: bash .ci/postgres.sh stop
# Idempotent (a running server is reused) and quiet: the export line is the
# only output on stdout. Installs PostgreSQL from Debian's packages when it is
# missing (needs root), without creating Debian's default cluster.
set -euo pipefail

port=${KILN_PG_PORT:-54329}
data=${KILN_PG_DATA:-/tmp/kiln-postgres}
db=kiln_test

if ! compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null; then
	export DEBIAN_FRONTEND=noninteractive
	mkdir -p /etc/postgresql-common
	echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.conf
	log=/tmp/kiln-postgres-install.log
	if ! { apt-get update -qq && apt-get install -y -qq -o Dpkg::Options::=--force-confdef \
		-o Dpkg::Options::=--force-confold postgresql; } >"$log" 2>&1; then
		cat "$log" >&2
		exit 1
	fi
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

# PostgreSQL refuses to run as root: run its programs as the postgres user.
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

if [ "${1:-}" = stop ]; then
	if [ -f "$data/PG_VERSION" ]; then
		as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
	fi
	exit 0
fi

if [ ! -f "$data/PG_VERSION" ]; then
	mkdir -p "$data"
	[ "$(id -u)" = 0 ] && chown postgres: "$data"
	chmod 700 "$data"
	as_pg "$bin/initdb" -D "$data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
fi
if ! as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
	as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=off" start >/dev/null
fi
if ! as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
	"SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
	as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$db"
fi
echo "export KILN_TEST_POSTGRES_DSN='postgres://postgres@127.0.0.1:$port/$db?sslmode=disable'"
