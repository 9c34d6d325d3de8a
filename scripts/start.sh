#!/usr/bin/env bash
# `npm start`: installs what is missing, then runs the product on local defaults with real data.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing npm packages (npm ci)..."
  npm ci --no-audit --no-fund
fi
if ! command -v go >/dev/null; then
  echo "Go is required to build the local FerretDB: install Go 1.24 or newer." >&2
  exit 1
fi
if [ ! -x /usr/lib/postgresql/15/bin/postgres ] && ! command -v pg_config >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing PostgreSQL (apt-get)..."
    apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
  else
    echo "PostgreSQL not found: the local database falls back to FerretDB's SQLite backend."
  fi
fi
exec node --import tsx scripts/src/stack/start.ts
