// A self-signed certificate for localhost and 127.0.0.1, generated once per test process with
// openssl (as ../shared/REAL-CLIENTS.md describes), for STARTTLS/STLS and implicit-TLS tests.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../../src/runtime/process.ts";

let cached: Promise<{ cert: string; key: string; dir: string; certFile: string; keyFile: string }> | undefined;

export function testCertificate(): Promise<{ cert: string; key: string; dir: string; certFile: string; keyFile: string }> {
  cached ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "im2000-tls-"));
    const certFile = join(dir, "cert.pem");
    const keyFile = join(dir, "key.pem");
    const r = await run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", keyFile, "-out", certFile]);
    if (r.code !== 0) throw new Error(`openssl failed: ${new TextDecoder().decode(r.stderr)}`);
    const cert = readFileSync(certFile, "utf8");
    const key = readFileSync(keyFile, "utf8");
    writeFileSync(join(dir, "both.pem"), cert + key);
    return { cert, key, dir, certFile, keyFile };
  })();
  return cached;
}
