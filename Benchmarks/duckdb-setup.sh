#!/usr/bin/env bash
# DuckDB for `quarry-bench ohlc`'s comparison: from PyPI into a venv under
# .build (ignored by git). The benchmark finds it there; without it, the
# DuckDB row is left out with a note.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .build/duckdb-venv
.build/duckdb-venv/bin/pip install --quiet duckdb
.build/duckdb-venv/bin/python -c 'import duckdb; print("duckdb", duckdb.__version__)'
