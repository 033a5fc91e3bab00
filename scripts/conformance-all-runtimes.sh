#!/usr/bin/env bash
# The full conformance suites against the reference shims on each runtime in turn: the runner
# and the shim it starts run on the same runtime (npm test runs them on the test's own runtime;
# this is the separate full run issue 6 allows). Exit status: the worst of the three runs.
set -u
cd "$(dirname "$0")/.."
bin=node_modules/.bin
suites=smtp-submission,smtp-list-relay,pop3
worst=0
for rt in node bun deno; do
  case $rt in
    node) runner=(node --import tsx conformance/cli.ts); shim="node --import tsx src/cli/shim.ts" ;;
    bun) runner=("$bin/bun" conformance/cli.ts); shim="$bin/bun src/cli/shim.ts" ;;
    deno) runner=("$bin/deno" run -A conformance/cli.ts); shim="$bin/deno run -A src/cli/shim.ts" ;;
  esac
  echo "== conformance on $rt"
  start=$(date +%s)
  "${runner[@]}" run --suite "$suites" --exec "$shim" --jobs 2 --seed 42 "$@" | tail -12
  code=${PIPESTATUS[0]}
  echo "($rt: exit $code, $(( $(date +%s) - start )) s)"
  [ "$code" -gt "$worst" ] && worst=$code
done
exit "$worst"
