// Cryptographic randomness and password hashing (node:crypto on every runtime).

import crypto from "node:crypto";

/** n bytes from the runtime's CSPRNG (im2000 §16 SEC-6: identifiers are capabilities). */
export function randomBytes(n: number): Uint8Array {
  const b = crypto.randomBytes(n);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly keyLength: number;
}

/** Interactive-login strength: about 50 ms on this project's machines. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 16384, r: 8, p: 1, keyLength: 32 };

export function scrypt(password: Uint8Array | string, salt: Uint8Array, params: ScryptParams = DEFAULT_SCRYPT): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    crypto.scrypt(password, salt, params.keyLength, { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 }, (err, key) => {
      if (err) reject(err);
      else resolve(new Uint8Array(key.buffer, key.byteOffset, key.byteLength));
    });
  });
}

/** Constant-time comparison of equal-length secrets; false when the lengths differ. */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return crypto.timingSafeEqual(a, b);
}

export function sha256(data: Uint8Array | string): Uint8Array {
  const d = crypto.createHash("sha256").update(data).digest();
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}
