#!/usr/bin/env bash
# Runs scripts/bench-der.ts on Node (via tsx), Bun and Deno, one after the other, each printing
# its own table (ours vs asn1js vs a plain copy, all measured in the same process).
# Usage: npm run bench:der [-- --quick]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=node_modules/.bin
echo "== Node"
node --import tsx scripts/bench-der.ts "$@"
echo
echo "== Bun"
"$bin/bun" scripts/bench-der.ts "$@"
echo
echo "== Deno"
"$bin/deno" run --no-check --allow-env --allow-read --allow-sys scripts/bench-der.ts "$@"
