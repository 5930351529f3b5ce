#!/usr/bin/env bash
# Starts a throwaway redis-server for kiln's integration tests on 127.0.0.1
# only (no persistence, daemonized) and prints the line that enables them:
#
#	export KILN_TEST_REDIS_ADDR=127.0.0.1:63791
#
# Use: eval "$(bash .ci/redis.sh)"; stop it with: bash .ci/redis.sh stop
# Idempotent (a running server is reused) and quiet: the export line is the
# only output on stdout. Installs redis-server from Debian's packages when it
# is missing (needs root). The tests flush databases 1 and 2 of this server.
set -euo pipefail

port=${KILN_REDIS_PORT:-63791}
dir=${KILN_REDIS_DIR:-/tmp/kiln-redis}

if ! command -v redis-server >/dev/null 2>&1; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq redis-server >/dev/null 2>&1
	# Debian's package may start its own service on 6379; it is not ours.
fi

cli() { redis-cli -h 127.0.0.1 -p "$port" "$@"; }

if [ "${1:-}" = stop ]; then
	cli shutdown nosave >/dev/null 2>&1 || true
	exit 0
fi

if ! cli ping >/dev/null 2>&1; then
	mkdir -p "$dir"
	redis-server --bind 127.0.0.1 --port "$port" --daemonize yes \
		--save '' --appendonly no --dir "$dir" \
		--pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null
	for _ in $(seq 1 100); do
		cli ping >/dev/null 2>&1 && break
		sleep 0.1
	done
	cli ping >/dev/null 2>&1 || { echo "redis-server did not start on 127.0.0.1:$port; see $dir/redis.log" >&2; exit 1; }
fi
echo "export KILN_TEST_REDIS_ADDR=127.0.0.1:$port"
