// Crash safety: the peers run as a child process (`im2000 serve`) and are SIGKILLed at random
// moments during a stream of submissions, then restarted on the same data directory. Every
// acknowledged submission must be intact, and nothing partial may be visible (DESIGN.md
// "Acknowledge only what is durable").

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { makeTempDir, path, removeTree, writeFileAtomic } from "../../src/runtime/fs.ts";
import { execPath, runtimeName, spawn, type ChildProcess } from "../../src/runtime/process.ts";
import { MsoapClient } from "../../src/im2000/msoap-client.ts";
import { MsrapClient } from "../../src/im2000/msrap-client.ts";
import { RnaspClient } from "../../src/im2000/rnasp-client.ts";
import { RnaqpClient } from "../../src/im2000/rnaqp-client.ts";
import { RetrievalType } from "../../src/im2000/msrap.ts";
import type { Notification } from "../../src/im2000/types.ts";
import { enc, PASSWORDS, testConfig } from "./helpers.ts";

const CLI = new URL("../../src/cli/im2000.ts", import.meta.url).pathname;

function start(dir: string): ChildProcess {
  const rt = runtimeName();
  const argv = rt === "node" ? ["--import", "tsx", CLI] : rt === "deno" ? ["run", "-A", CLI] : [CLI];
  return spawn(execPath(), [...argv, "serve", "--data", path.join(dir, "data"), "--config", path.join(dir, "config.json")]);
}

async function ready(child: ChildProcess): Promise<Record<string, number>> {
  const m = await child.waitForLine(/peers ready .*: (.*)$/, 30_000);
  const ports: Record<string, number> = {};
  for (const kv of m[1]!.split(" ")) {
    const [k, v] = kv.split("=");
    ports[k!] = Number(v!.split(":").pop());
  }
  return ports;
}

/** A message whose body says how long it is and ends with a marker, so a partial one is obvious. */
function message(n: number, size: number): Uint8Array {
  const head = `Subject: crash ${n}\r\nX-Len: ${size}\r\n\r\n`;
  return enc.encode(head + "x".repeat(size - head.length - 5) + "END\r\n");
}

const rand = (a: number, b: number) => a + Math.floor(Math.random() * (b - a));

describe("crash safety (SIGKILL during load)", () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir("im2000-crash-");
    const cfg = await testConfig({ store: { segmentBytes: 256 * 1024, checkpointBytes: 64 * 1024 }, logLevel: "warn" });
    await writeFileAtomic(path.join(dir, "config.json"), JSON.stringify(cfg));
  });
  after(async () => {
    await removeTree(dir);
  });

  it("store: every acknowledged submission survives, no partial message is visible", async () => {
    const acked = new Map<string, Uint8Array>(); // body text → originator id
    let n = 0;
    let lastAck = 0;
    for (let round = 0; round < 3; round++) {
      const child = start(dir);
      try {
        const ports = await ready(child);
        let stop = false;
        const worker = async () => {
          while (!stop) {
            let c: MsoapClient | undefined;
            try {
              c = await MsoapClient.connect({ host: "127.0.0.1", port: ports.msoap!, responseTimeoutMs: 5000 });
              await c.authenticate("alice", PASSWORDS.alice);
              while (!stop) {
                const body = message(n++, rand(200, 6000));
                // Small chunks: a kill often lands between chunks of one message.
                const { identifier } = await c.submit({ lists: [enc.encode("announce")], lifetime: 3600 }, body, 1024);
                acked.set(new TextDecoder().decode(body), identifier);
                lastAck = Date.now();
              }
            } catch {
              return; // the server was killed under us
            } finally {
              c?.session.abandon();
            }
          }
        };
        const workers = [worker(), worker(), worker(), worker()];
        await new Promise((r) => setTimeout(r, rand(100, 400)));
        child.kill("SIGKILL");
        stop = true;
        await Promise.all(workers);
      } finally {
        child.kill("SIGKILL");
        await child.exited;
      }
    }
    assert.ok(acked.size > 0, "some submissions were acknowledged before the kills");

    const child = start(dir);
    try {
      const ports = await ready(child);
      const r = await MsrapClient.connect({ host: "127.0.0.1", port: ports.msrap! });
      // C-11: a second's messages become scannable once the second is over.
      const lastSecond = Math.floor(lastAck / 1000);
      while (Math.floor(Date.now() / 1000) <= lastSecond) await new Promise((res) => setTimeout(res, 50));
      const seen = new Set<string>();
      let begin = 0;
      for (;;) {
        const s = await r.scanList("announce", begin);
        for (const id of s.messages) {
          const text = new TextDecoder().decode(await r.retrieveAll(id, RetrievalType.all));
          const len = Number(/X-Len: (\d+)/.exec(text)?.[1]);
          assert.equal(text.length, len, "no partial message is visible");
          assert.ok(text.endsWith("END\r\n"));
          seen.add(text);
        }
        if (s.endtime > lastSecond) break;
        begin = s.endtime;
      }
      const missing = [...acked.keys()].filter((b) => !seen.has(b));
      assert.deepEqual(missing.map((b) => b.slice(0, 20)), [], `acknowledged submissions are intact after the crashes (${seen.size} seen, ${acked.size} acknowledged)`);
      await r.close();
      // Originator ids still work for Track.
      const c = await MsoapClient.connect({ host: "127.0.0.1", port: ports.msoap! });
      await c.authenticate("alice", PASSWORDS.alice);
      for (const id of [...acked.values()].slice(-5)) assert.deepEqual(await c.track(id), []);
      await c.close();
    } finally {
      child.kill("SIGKILL");
      await child.exited;
    }
  });

  it("RNA: every acknowledged RNASP batch survives whole", async () => {
    const acked = new Set<string>();
    let n = 0;
    const note = (i: number): Notification => ({
      storeclear: { kind: "literals", value: [{ address: { kind: "version4", value: Uint8Array.of(127, 0, 0, 1) }, port: 8193 }] },
      recipient: { localpart: "lucy", domain: ["example", "org"] },
      identifier: enc.encode(String(i).padStart(16, "0")),
      sender: `s${i}`,
    });
    for (let round = 0; round < 3; round++) {
      const child = start(dir);
      try {
        const ports = await ready(child);
        let stop = false;
        const worker = async () => {
          try {
            const c = await RnaspClient.connect({ host: "127.0.0.1", port: ports.rnasp!, responseTimeoutMs: 5000 });
            while (!stop) {
              const batch = [n++, n++, n++].map(note);
              await c.notify(batch);
              for (const b of batch) acked.add(b.sender);
            }
          } catch {
            // killed
          }
        };
        const workers = [worker(), worker()];
        await new Promise((r) => setTimeout(r, rand(100, 300)));
        child.kill("SIGKILL");
        stop = true;
        await Promise.all(workers);
      } finally {
        child.kill("SIGKILL");
        await child.exited;
      }
    }
    assert.ok(acked.size > 0);
    const child = start(dir);
    try {
      const ports = await ready(child);
      const q = await RnaqpClient.connect({ host: "127.0.0.1", port: ports.rnaqp! });
      await q.authenticate("lucy", PASSWORDS.lucy);
      const got = new Set<string>();
      for (;;) {
        const b = await q.retrieveAndClear();
        if (b.length === 0) break;
        for (const x of b) got.add(x.notification.sender);
      }
      for (const s of acked) assert.ok(got.has(s), `acknowledged notification ${s} survived`);
      // All-or-nothing: a batch is there whole or not at all.
      const batches = new Map<number, number>();
      for (const s of got) {
        const b = Math.floor(Number(s.slice(1)) / 3);
        batches.set(b, (batches.get(b) ?? 0) + 1);
      }
      for (const [, count] of batches) assert.equal(count, 3);
      await q.close();
    } finally {
      child.kill("SIGKILL");
      await child.exited;
    }
  });
});
