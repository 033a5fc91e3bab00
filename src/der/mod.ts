// Strict DER for the ASN.1 subset IM2000 uses: a consuming reader, a length-filling writer, and
// declarative schemas on top of them.
export { DerError, DerSchemaError, DerSyntaxError, isDerError } from "./errors.ts";
export { DerReader } from "./reader.ts";
export { DerWriter } from "./writer.ts";
export * from "./schema.ts";
