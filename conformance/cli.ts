#!/usr/bin/env -S node --import tsx
// im2000-conformance: the command line (npm run conformance -- …, or the bin entry).
// Everything happens in main.ts; this file only hands it the arguments and leaves with its status.

import { args, exit, writeStdout } from "../src/runtime/process.ts";
import { main } from "./main.ts";

main(args()).then(async (code) => {
  // Flush standard output before leaving: a piped stdout may still hold the report.
  await writeStdout("");
  exit(code);
});
