#!/usr/bin/env bash
# Formatting check (Biome; biome.json: 2 spaces, single quotes, 120 columns). Not called by
# scripts/test.sh yet: the tree is formatted once (`npx biome format --write src test bench scripts`)
# after the open branches are merged, then test.sh runs `npx biome ci src test bench scripts`
# (lint + format check) instead of lint alone.
set -euo pipefail
cd "$(dirname "$0")/.."
exec npx biome format src test bench scripts
