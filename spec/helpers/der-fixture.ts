// Reader for the DER fixture files under fixtures/der/ (format: fixtures/der/README.md): leading
// `# key: value` header lines, then hex octets with free-form whitespace. Strict, so that a typo in
// a fixture fails loudly instead of silently testing something else.

export type Im2000ProtocolName = "MSOAP" | "MSRAP" | "RNASP" | "RNAQP";

export interface DerFixture {
  /** File name, e.g. `non-minimal-length.hex`. */
  readonly name: string;
  readonly protocol: Im2000ProtocolName;
  readonly note: string;
  /** Valid files only: false when re-encoding must not reproduce the bytes (`# roundtrip: no`). */
  readonly roundtrip: boolean;
  /** Valid files only: another valid file that must decode to the same value (`# equals:`). */
  readonly equals: string | undefined;
  /** Invalid files only: the error kind and the `rule` property it must carry. */
  readonly error: "syntax" | "schema" | undefined;
  readonly rule: string | undefined;
  readonly bytes: Uint8Array;
}

const PROTOCOLS: readonly string[] = ["MSOAP", "MSRAP", "RNASP", "RNAQP"];
const KEYS = new Set(["protocol", "note", "roundtrip", "equals", "error", "rule"]);

export function parseDerFixture(name: string, text: string, valid: boolean): DerFixture {
  const fail = (why: string): never => {
    throw new Error(`fixture ${name}: ${why}`);
  };
  const headers = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.startsWith("#")) break;
    const m = /^#\s*([a-z]+):\s*(.*?)\s*$/.exec(line);
    if (m === null) fail(`header line ${i + 1} is not "# key: value"`);
    const [, key, value] = m!;
    if (!KEYS.has(key!)) fail(`unknown header "${key}"`);
    // A long note may continue on further `# note:` lines; every other key appears once.
    if (headers.has(key!) && key !== "note") fail(`header "${key}" repeated`);
    headers.set(key!, headers.has(key!) ? `${headers.get(key!)} ${value}` : value!);
  }
  const body = lines.slice(i).join("\n").replace(/\s+/g, "");
  if (body.length === 0) fail("no octets");
  if (!/^[0-9A-Fa-f]*$/.test(body)) fail("body holds something other than hex digits and whitespace");
  if (body.length % 2 !== 0) fail("odd number of hex digits");
  const bytes = new Uint8Array(body.length / 2);
  for (let j = 0; j < bytes.length; j++) bytes[j] = parseInt(body.slice(2 * j, 2 * j + 2), 16);

  const protocol = headers.get("protocol") ?? fail("missing # protocol:");
  if (!PROTOCOLS.includes(protocol)) fail(`protocol "${protocol}" is not one of ${PROTOCOLS.join(", ")}`);
  const note = headers.get("note") ?? fail("missing # note:");
  const roundtripHeader = headers.get("roundtrip");
  if (roundtripHeader !== undefined && roundtripHeader !== "no" && roundtripHeader !== "yes") fail('roundtrip is "yes" or "no"');
  const error = headers.get("error");
  const rule = headers.get("rule");
  if (valid) {
    if (error !== undefined || rule !== undefined) fail("a valid fixture has no # error: or # rule:");
  } else {
    if (error !== "syntax" && error !== "schema") fail('an invalid fixture needs "# error: syntax" or "# error: schema"');
    if (rule === undefined || !/^[a-z0-9-]+$/.test(rule)) fail("an invalid fixture needs # rule: <rule-name>");
    if (roundtripHeader !== undefined || headers.has("equals")) fail("roundtrip and equals apply to valid fixtures only");
  }
  return {
    name,
    protocol: protocol as Im2000ProtocolName,
    note,
    roundtrip: roundtripHeader !== "no",
    equals: headers.get("equals"),
    error: error as "syntax" | "schema" | undefined,
    rule,
    bytes,
  };
}
