#!/usr/bin/env bash
# The one test command: installs what is missing, builds, type-checks and runs every test
# with Node's built-in test runner. `scripts/test.sh unit` runs only tests that need no root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test --yes # tests install their own packages (scripts/test-deps.d)
npm run --silent build
npx tsc -p .
npx depcruise src --config .dependency-cruiser.cjs
npx biome ci src test bench scripts # lint and format check (biome.json: 2 spaces, 120 columns)
if [ "${1:-all}" = unit ]; then
  files=$(find test/unit -name '*.test.ts' | sort)
else
  files=$(find test -name '*.test.ts' | sort)
fi
# shellcheck disable=SC2086
exec node --import tsx --test --test-reporter=spec $files
