#!/usr/bin/env bash
# Runs scripts/bench-smtp.ts on Node (via tsx), Bun and Deno, one after the other; each run starts
# its servers (smtp-server, the shim with the instant store, the shim with the reference store)
# as child processes on the same runtime and prints its own table.
# Usage: npm run bench:smtp [-- --runs 3 --seconds 2 --idle 1000 …]  (options: see the .ts file)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=node_modules/.bin
echo "== Node"
node --import tsx scripts/bench-smtp.ts "$@"
echo
echo "== Bun"
"$bin/bun" scripts/bench-smtp.ts "$@"
echo
echo "== Deno"
"$bin/deno" run --no-check -A scripts/bench-smtp.ts "$@"
