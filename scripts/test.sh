#!/usr/bin/env bash
# `npm test`: install what the suite needs beyond npm, build, type-check, run every test file.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
npm run --silent build
npx tsc -p tsconfig.test.json --noEmit
mapfile -t files < <(find test -name '*.test.ts' | sort)
exec node --import tsx --test --test-concurrency=2 "$@" "${files[@]}"
