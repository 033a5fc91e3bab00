// Strict base64 for SASL exchanges (RFC 4648 §4): anything malformed is refused, never guessed.

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function decodeBase64(s: string): Uint8Array | undefined {
  if (s.length % 4 !== 0 || !B64.test(s)) return undefined;
  try {
    return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** Base64 to UTF-8 text; undefined for bad base64 or bad UTF-8. */
export function decodeBase64Text(s: string): string | undefined {
  const bytes = decodeBase64(s);
  if (bytes === undefined) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

export function encodeBase64(bytes: Uint8Array | string): string {
  const b = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  let s = "";
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s);
}
