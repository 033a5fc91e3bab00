// The two ways a decode can fail (STYLE.md, "cryptobyte"): the bytes are not strict DER
// (syntax), or they are DER but do not fit the schema (structure). Both carry the absolute byte
// offset where the problem starts and the field path that was being decoded, e.g.
// `MsoapCommand.commanddata.recipients[2].domain`.

export abstract class DerError extends Error {
  /** Offset of the offending octet from the start of the decoded buffer. */
  readonly offset: number;
  /** Field path being decoded, `Type.field[index].field`. */
  readonly path: string;
  /** Short stable name of the violated rule (fixtures/der/invalid files are named after it). */
  readonly rule: string;
  constructor(rule: string, detail: string, offset: number, path: string) {
    super(`${detail} at offset ${offset}${path ? ` (${path})` : ""}`);
    this.rule = rule;
    this.offset = offset;
    this.path = path;
  }
}

/** Bad bytes: X.690 DER violated (truncation, non-minimal length or integer, bad BOOLEAN, …). */
export class DerSyntaxError extends DerError {
  override readonly name = "DerSyntaxError";
}

/** Valid DER that does not fit the schema (wrong tag, missing field, value out of range, …). */
export class DerSchemaError extends DerError {
  override readonly name = "DerSchemaError";
}

export function isDerError(e: unknown): e is DerError {
  return e instanceof DerError;
}
