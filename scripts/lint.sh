#!/usr/bin/env bash
# `npm run lint`: ESLint (type-aware), Prettier and clang-format over the tree. Every check runs
# even after one fails, so that one run lists every finding; exits 1 when any found something.
# `npm run format` (--write): Prettier and clang-format rewrite the files instead (ESLint's
# findings are fixed by hand).
set -uo pipefail
cd "$(dirname "$0")/.."

# C, C++ and CUDA sources, as git knows them: build trees and fetched dependencies stay out.
cxx_sources() { git ls-files -z -- '*.c' '*.cc' '*.cpp' '*.h' '*.hpp' '*.cu' '*.cuh'; }

if [ "${1:-}" = "--write" ]; then
  # Twice: Prettier settles some long signatures only on its second pass (one in
  # apps/lab/test/report-html.test.ts), and the check must pass right after a format.
  npx prettier --write --log-level warn . && npx prettier --write --log-level warn . || exit 1
  cxx_sources | xargs -0 -r clang-format -i || exit 1
  exit 0
fi

failed=()
# The type-aware rules read the other workspaces' types from their dist/ (a cache hit after a build).
echo "== lint: build (types for the type-aware rules) =="
npx turbo run build --output-logs=errors-only || failed+=(build)
echo "== lint: eslint =="
npx eslint --max-warnings 0 . || failed+=(eslint)
echo "== lint: prettier --check =="
npx prettier --check --log-level warn . || failed+=(prettier)
echo "== lint: clang-format --dry-run =="
if ! command -v clang-format >/dev/null 2>&1; then
  echo "clang-format not found (Debian package clang-format; scripts/setup-system.sh installs it)"
  failed+=(clang-format)
elif ! cxx_sources | xargs -0 -r clang-format --dry-run --Werror; then
  failed+=(clang-format)
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "lint: findings from ${failed[*]}"
  exit 1
fi
echo "lint: no findings"
