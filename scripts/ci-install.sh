#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks before `npm test`: PostgreSQL and chromium (apt),
# the npm packages (npm ci) and the FerretDB binary (go build). Each step is skipped when its
# result is already present, so running this again is cheap.
set -euo pipefail
cd "$(dirname "$0")/.."

# Runs a command with its output captured, and prints that output only when the command fails.
quietly() {
  local log
  log=$(mktemp)
  if "$@" >"$log" 2>&1; then
    rm -f "$log"
  else
    local status=$?
    echo "ci-install: command failed ($status): $*" >&2
    tail -n 40 "$log" >&2
    rm -f "$log"
    return "$status"
  fi
}

# --- Debian packages ---------------------------------------------------------------------------
missing_packages=()
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  missing_packages+=(postgresql)
fi
if ! command -v chromium >/dev/null; then
  missing_packages+=(chromium)
fi
# Without a CJK font the end-to-end screenshots show boxes in place of Chinese text.
if ! compgen -G '/usr/share/fonts/truetype/wqy/wqy-microhei.tt*' >/dev/null; then
  missing_packages+=(fonts-wqy-microhei)
fi

if [ ${#missing_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "ci-install: installing ${missing_packages[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    quietly apt-get update
    quietly apt-get install -y "${missing_packages[@]}"
  else
    echo "ci-install: missing Debian packages: ${missing_packages[*]}" >&2
    echo "ci-install: install them as root: apt-get install -y ${missing_packages[*]}" >&2
    echo "ci-install: without postgresql the tests use FerretDB's SQLite backend;" \
      "without chromium the H5 end-to-end tests fail" >&2
  fi
fi

# --- npm packages ------------------------------------------------------------------------------
# npm ci writes node_modules/.package-lock.json; a package-lock.json newer than it means stale.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "ci-install: installing npm packages (npm ci)"
  quietly npm ci --no-audit --no-fund
fi

# --- FerretDB binary ---------------------------------------------------------------------------
if [ -n "${MONGODB_URI:-}" ]; then
  echo "ci-install: MONGODB_URI is set, skipping the FerretDB build"
  exit 0
fi
if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then
  export PATH="$PATH:/usr/local/go/bin"
fi
if ! command -v go >/dev/null; then
  echo "ci-install: Go 1.24 or newer is required to build FerretDB (install it into /usr/local/go" \
    "or onto PATH), or set MONGODB_URI to test against an existing MongoDB" >&2
  exit 1
fi
if [ ! -x .cache/bin/ferretdb ]; then
  echo "ci-install: building FerretDB (a first build compiles all dependencies and can take a minute or more)"
fi
binary=$(LOG_LEVEL=warn node --import tsx scripts/src/db/cli.ts build)
echo "ci-install: FerretDB binary ready: $binary"
