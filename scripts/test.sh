#!/usr/bin/env bash
# `npm test`: type checks, lint, then every test suite against real components (PostgreSQL +
# FerretDB, the WeChat sandbox over HTTP on 127.0.0.1, Debian's chromium for the H5 app).
# Prints one closing line "Tests: N passed, N failed" summed over all suites.
set -uo pipefail
cd "$(dirname "$0")/.."

artifacts=test-artifacts
rm -rf "$artifacts/results" && mkdir -p "$artifacts/results"
failed_steps=()

step() {
  local name=$1
  shift
  echo
  echo "=== $name ==="
  local started=$SECONDS
  if "$@"; then
    echo "=== $name: ok ($((SECONDS - started)) s) ==="
  else
    echo "=== $name: FAILED ($((SECONDS - started)) s) ==="
    failed_steps+=("$name")
  fi
}

vitest_suite() {
  local name=$1 workspace=$2
  shift 2
  (cd "$workspace" && npx vitest run --reporter=default --reporter=json \
    --outputFile.json="../$artifacts/results/$name.json" "$@")
}

step typecheck npm run typecheck --silent
step lint npm run lint --silent
step "scripts tests" vitest_suite scripts scripts
step "server tests" vitest_suite server server
step "bot tests" vitest_suite bot bot
step "mini-program unit tests" vitest_suite miniprogram miniprogram
step "weapp build tests" vitest_suite weapp-build miniprogram --config vitest.build.config.ts
step "H5 end-to-end tests" vitest_suite e2e scripts --config vitest.e2e.config.ts

node scripts/src/stack/summarize-results.mjs "$artifacts/results" "${#failed_steps[@]}"
status=$?
if [ ${#failed_steps[@]} -gt 0 ]; then
  echo "Failed steps: ${failed_steps[*]}"
  exit 1
fi
exit $status
