// The long-option splitter shared by im2000, im2000-shim and im2000-conformance.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { splitArgs, UsageError } from "../../src/util/argv.ts";

describe("splitArgs", () => {
  const booleans = new Set(["--trace", "-h"]);

  it("pairs --name value and --name=value, keeps repeats in order, takes the rest as operands", () => {
    const r = splitArgs(["send", "--to", "a@x", "--to=b@y", "--trace", "file.eml", "-h"], booleans);
    assert.deepEqual(r.options, [["--to", "a@x"], ["--to", "b@y"], ["--trace", ""], ["-h", ""]]);
    assert.deepEqual(r.operands, ["send", "file.eml"]);
  });

  it("a value may start with a dash or contain '='; a lone '-' is an operand (standard input)", () => {
    const r = splitArgs(["--password", "-secret=1", "--x=a=b", "-"], booleans);
    assert.deepEqual(r.options, [["--password", "-secret=1"], ["--x", "a=b"]]);
    assert.deepEqual(r.operands, ["-"]);
  });

  it("an option missing its value is a UsageError naming it", () => {
    assert.throws(() => splitArgs(["--port"], booleans), (e: unknown) => e instanceof UsageError && e.message === "--port needs a value");
  });
});
