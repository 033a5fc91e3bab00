#!/usr/bin/env bash
# Runs scripts/bench-pop3.ts on Node (via tsx), Bun and Deno, one after the other; each run starts
# its servers (the reference peers, the POP3 shim, Dovecot) and prints its own table.
# Usage: npm run bench:pop3 [-- --runs 5 --fetch 1000 --big 10000 …]  (options: see the .ts file)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=node_modules/.bin
echo "== Node"
node --import tsx scripts/bench-pop3.ts "$@"
echo
echo "== Bun"
"$bin/bun" scripts/bench-pop3.ts "$@"
echo
echo "== Deno"
"$bin/deno" run --no-check -A scripts/bench-pop3.ts "$@"
