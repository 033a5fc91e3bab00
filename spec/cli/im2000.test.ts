// `im2000` as a user runs it: `serve` in a child process (with a TLS certificate), the MUA
// commands against it (send → notifications → fetch → track → unpin), usage errors, and a clean
// SIGTERM shutdown in which an open session gets errorserviceshutdown (im2000 §7 S-5).

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { makeTempDir, path, readText, removeTree, writeFileAtomic } from "../../src/runtime/fs.ts";
import { execPath, run, runtimeName, spawn, type ChildProcess } from "../../src/runtime/process.ts";
import { connect } from "../../src/runtime/net.ts";
import { FrameReader } from "../../src/im2000/framing.ts";
import { MSRAP, RetrievalType } from "../../src/im2000/msrap.ts";
import { MsrapClient } from "../../src/im2000/msrap-client.ts";
import process from "node:process";
import { PASSWORDS, testConfig } from "../peers/helpers.ts";

const CLI = new URL("../../src/cli/im2000.ts", import.meta.url).pathname;
const runtimeArgs = () => (runtimeName() === "node" ? ["--import", "tsx", CLI] : runtimeName() === "deno" ? ["run", "-A", CLI] : [CLI]);
const MESSAGE = "From: Alice <alice@example.net>\r\nSubject: cli\r\n\r\nhello from the MUA\r\n";

describe("im2000 CLI", () => {
  let dir: string;
  let child: ChildProcess;
  const ports: Record<string, number> = {};
  let cert = "";

  const mua = async (argv: string[], opts: { input?: string; password?: string } = {}) => {
    const r = await run(execPath(), [...runtimeArgs(), ...argv], { input: opts.input, env: { ...process.env, IM2000_PASSWORD: opts.password ?? "" }, timeoutMs: 60_000 });
    return { code: r.code, out: new TextDecoder().decode(r.stdout), err: new TextDecoder().decode(r.stderr) };
  };

  before(async () => {
    dir = await makeTempDir("im2000-cli-");
    const gen = await run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem")]);
    assert.equal(gen.code, 0, "openssl made a test certificate");
    cert = await readText(path.join(dir, "cert.pem"));
    const cfg = await testConfig({ listen: { msoaps: "127.0.0.1:0", msraps: "127.0.0.1:0", rnasps: "127.0.0.1:0", rnaqps: "127.0.0.1:0" } });
    await writeFileAtomic(path.join(dir, "config.json"), JSON.stringify(cfg));
    child = spawn(execPath(), [...runtimeArgs(), "serve", "--data", path.join(dir, "data"), "--config", path.join(dir, "config.json"), "--tls-cert", path.join(dir, "cert.pem"), "--tls-key", path.join(dir, "key.pem")]);
    const m = await child.waitForLine(/peers ready .*: (.*)$/, 30_000);
    for (const kv of m[1]!.split(" ")) {
      const [k, v] = kv.split("=");
      ports[k!] = Number(v!.split(":").pop());
    }
  });
  after(async () => {
    child.kill("SIGKILL");
    await child.exited;
    await removeTree(dir);
  });

  it("im2000 --help prints usage; an unknown command exits 2", async () => {
    const h = await mua(["--help"]);
    assert.equal(h.code, 0);
    assert.match(h.out, /Usage:/);
    const bad = await mua(["frobnicate"]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /unknown command/);
    for (const to of ["lucy", "lucy@", "two@@at.example", "lucy@[127.0.0.1]"]) {
      const r = await mua(["send", "--store", "127.0.0.1:1", "--user", "alice", "--to", to], { input: MESSAGE, password: PASSWORDS.alice });
      assert.equal(r.code, 2, `--to ${to}`);
      assert.match(r.err, /not a mailbox/);
    }
  });

  it("send → notifications (with storessl) → fetch byte-exact → track → unpin, and over the TLS endpoint", async () => {
    const store = `127.0.0.1:${ports.msoap}`;
    const msrap = `127.0.0.1:${ports.msrap}`;
    const sent = await mua(["send", "--store", store, "--user", "alice", "--to", "lucy@example.org"], { input: MESSAGE, password: PASSWORDS.alice });
    assert.equal(sent.code, 0, sent.err);
    const orig = sent.out.trim();
    assert.match(orig, /^[0-9a-f]{32}$/);
    let lines: string[] = [];
    for (let i = 0; i < 50 && lines.length === 0; i++) {
      const n = await mua(["notifications", "--rna", `127.0.0.1:${ports.rnaqp}`, "--user", "lucy"], { password: PASSWORDS.lucy });
      assert.equal(n.code, 0, n.err);
      lines = n.out.split("\n").filter((l) => l.length > 0);
    }
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, new RegExp(`store=127\\.0\\.0\\.1:${ports.msrap} storessl=127\\.0\\.0\\.1:${ports.msraps}`));
    const id = lines[0]!.split(" ")[0]!;
    const fetched = await mua(["fetch", "--msrap", msrap, id]);
    assert.equal(fetched.out, MESSAGE);
    // The TLS endpoint serves the same message (TLS from the first octet, §3).
    const tls = await MsrapClient.connect({ host: "127.0.0.1", port: ports.msraps!, tls: { ca: cert, servername: "localhost" } });
    assert.equal(new TextDecoder().decode(await tls.retrieveAll(Uint8Array.from(Buffer.from(id, "hex")), RetrievalType.headersonly)), MESSAGE.slice(0, MESSAGE.indexOf("\r\n\r\n") + 4));
    await tls.close();
    const tracked = await mua(["track", "--store", store, "--user", "alice", orig], { password: PASSWORDS.alice });
    assert.match(tracked.out, /^lucy@example\.org notification=notifying read=readall pinned=true$/m);
    assert.equal((await mua(["unpin", "--msrap", msrap, id])).code, 0);
    const gone = await mua(["fetch", "--msrap", msrap, id]);
    assert.equal(gone.code, 1);
    assert.match(gone.err, /errornosuchmessage/);
    const wrong = await mua(["track", "--store", store, "--user", "alice", orig], { password: "wrong" });
    assert.equal(wrong.code, 1);
    assert.match(wrong.err, /errornotauthenticated/);
    assert.ok(!child.stderrText().includes(PASSWORDS.alice) && !child.stderrText().includes("wrong"), "passwords never reach the log");
  });

  it("S-5 SIGTERM: an open session gets errorserviceshutdown and serve exits 0", async () => {
    const c = await connect({ host: "127.0.0.1", port: ports.msrap! });
    // One exchange first, so the session is registered before the signal.
    await c.write(MSRAP.encodeCommand({ commanddata: { kind: "commandQuerySize", value: { identifier: new Uint8Array(16), type: 3 } } }));
    const frames = new FrameReader(1 << 20);
    const next = async () => {
      for (;;) {
        const f = frames.next();
        if (f) return f;
        const chunk = await c.read(10_000);
        if (chunk === null) return null;
        frames.push(chunk);
      }
    };
    assert.ok(await next());
    child.kill("SIGTERM");
    const f = await next();
    assert.ok(f, "a PDU before the close");
    const rsp = MSRAP.decodePdu(f).value as { status: number; forceabort: boolean };
    assert.deepEqual([rsp.status, rsp.forceabort], [MSRAP.status.errorserviceshutdown, true]);
    const exit = await child.exited;
    assert.match(child.stderrText(), /serve\.stopped/, "storage flushed and closed before exit");
    // Deno's child_process reports (null, "SIGTERM") for a child that handled SIGTERM and exited 0.
    if (runtimeName() === "deno") assert.ok(exit.code === 0 || exit.signal === "SIGTERM");
    else assert.equal(exit.code, 0);
    c.destroy();
  });
});
