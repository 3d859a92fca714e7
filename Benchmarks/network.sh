#!/usr/bin/env bash
# The network benchmark on a fresh machine: starts a throwaway PostgreSQL
# (Debian's, installed when missing) on 127.0.0.1 with pg_stat_statements,
# builds quarry-bench in release mode and runs `quarry-bench network`
# against it through its delay proxy. Arguments go to the benchmark
# (e.g. --one-way 0.5 --json). The server is stopped and removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup
export QUARRY_PG_PORT=5439 QUARRY_PG_LISTEN=127.0.0.1
export QUARRY_PG_OPTIONS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_utility=on"
source .ci/postgres
swift build -c release --product quarry-bench
.build/release/quarry-bench network --postgres "postgres://postgres@127.0.0.1:$QUARRY_PG_PORT/postgres?sslmode=disable" "$@"
