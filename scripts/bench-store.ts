// Benchmark of the reference peers' durable paths, each reported against a peer measured in the
// same run on the same disk:
//   1. the machine's fsync ceiling: a loop writing + fsyncing 4 KiB files;
//   2. durable MSOAP submissions/s of 4 KiB messages, 1 and 16 concurrent clients (target with
//      16: ≥ 0.5 of the ceiling, which only group commit can reach);
//   3. peak RSS while N messages (default 100,000) accumulate: it must stay flat;
//   4. RNAQP RetrieveAndClear of 10,000 notifications.
// Usage: node --import tsx scripts/bench-store.ts [--messages N] [--seconds S]
//        bun scripts/bench-store.ts …    deno run -A scripts/bench-store.ts …

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { hashPassword } from "../src/peers/auth.ts";
import { parseConfig } from "../src/peers/config.ts";
import { startPeers } from "../src/peers/peers.ts";
import { MsoapClient } from "../src/im2000/msoap-client.ts";
import { RnaspClient } from "../src/im2000/rnasp-client.ts";
import { RnaqpClient } from "../src/im2000/rnaqp-client.ts";
import type { Notification } from "../src/im2000/types.ts";
import { runtimeVersion } from "../src/runtime/process.ts";

const argv = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const MESSAGES = opt("--messages", 100_000);
const SECONDS = opt("--seconds", 3);

const root = fs.mkdtempSync(path.join(os.tmpdir(), "im2000-bench-"));
const body = new Uint8Array(4096).fill(0x61);
body.set(new TextEncoder().encode("Subject: bench\r\n\r\n"));

function fsyncCeiling(seconds: number): number {
  const dir = path.join(root, "fsync");
  fs.mkdirSync(dir);
  let n = 0;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const fd = fs.openSync(path.join(dir, `f${n % 64}`), "w");
    fs.writeSync(fd, body);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    n++;
  }
  return n / seconds;
}

let peakRss = 0;
const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));

async function main(): Promise<void> {
  console.log(`bench-store on ${runtimeVersion()}, ${os.cpus().length} cores, data in ${root}`);
  const ceiling = fsyncCeiling(SECONDS);
  console.log(`fsync ceiling (write+fsync 4 KiB files, one at a time): ${ceiling.toFixed(0)}/s`);

  const cheap = { N: 1024, r: 8, p: 1 };
  const config = parseConfig({
    testMode: true,
    logLevel: "error",
    listen: { msoap: "127.0.0.1:0", msrap: "127.0.0.1:0", rnasp: "127.0.0.1:0", rnaqp: "127.0.0.1:0" },
    store: { accounts: { bench: { passwordHash: await hashPassword("pw", cheap) } }, lists: { bench: { submit: "authenticated", scan: "anyone" } }, maxSessions: 64, minLifetime: 60 },
    rna: { accounts: { lucy: { passwordHash: await hashPassword("pw", cheap) } }, mailboxes: { "lucy@example.org": { readers: ["lucy"] } } },
  });
  const peers = await startPeers(config, { data: path.join(root, "data") });
  const msoapPort = peers.addresses.msoap!.port;
  const envelope = { lists: [new TextEncoder().encode("bench")], lifetime: 3600 };

  async function submitFor(clients: number, seconds: number): Promise<number> {
    let done = 0;
    const end = Date.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        const c = await MsoapClient.connect({ host: "127.0.0.1", port: msoapPort });
        await c.authenticate("bench", "pw");
        while (Date.now() < end) {
          await c.submit(envelope, body);
          done++;
        }
        await c.close();
      }),
    );
    return done / seconds;
  }

  const one = await submitFor(1, SECONDS);
  const sixteen = await submitFor(16, SECONDS);
  console.log(`durable MSOAP submissions of 4 KiB, 1 client:   ${one.toFixed(0)}/s  (${(one / ceiling).toFixed(2)} × fsync ceiling)`);
  console.log(`durable MSOAP submissions of 4 KiB, 16 clients: ${sixteen.toFixed(0)}/s  (${(sixteen / ceiling).toFixed(2)} × fsync ceiling; target ≥ 0.50)`);

  // Memory while messages accumulate.
  const clients = await Promise.all(
    Array.from({ length: 16 }, async () => {
      const c = await MsoapClient.connect({ host: "127.0.0.1", port: msoapPort });
      await c.authenticate("bench", "pw");
      return c;
    }),
  );
  let next = 0;
  const checkpoints: string[] = [];
  const t0 = Date.now();
  const timer = setInterval(sample, 50);
  const startRss = process.memoryUsage().rss;
  await Promise.all(
    clients.map(async (c) => {
      while (next < MESSAGES) {
        const i = next++;
        await c.submit(envelope, body);
        if (i > 0 && i % Math.max(1, Math.floor(MESSAGES / 5)) === 0) {
          const m = process.memoryUsage();
          checkpoints.push(`${i}: ${(m.rss / 2 ** 20).toFixed(0)} MiB (heap ${(m.heapUsed / 2 ** 20).toFixed(0)})`);
        }
      }
    }),
  );
  clearInterval(timer);
  sample();
  const endRss = process.memoryUsage().rss;
  console.log(`accumulated ${MESSAGES} more messages in ${((Date.now() - t0) / 1000).toFixed(1)} s (${peers.store.table.size} identifiers stored)`);
  console.log(`RSS: start ${(startRss / 2 ** 20).toFixed(0)} MiB, end ${(endRss / 2 ** 20).toFixed(0)} MiB, peak ${(peakRss / 2 ** 20).toFixed(0)} MiB; along the way ${checkpoints.join(", ")}`);
  for (const c of clients) await c.close();

  // RNAQP RetrieveAndClear of 10,000 notifications.
  const rnasp = await RnaspClient.connect({ host: "127.0.0.1", port: peers.addresses.rnasp!.port });
  const note = (i: number): Notification => ({
    storeclear: { kind: "literals", value: [{ address: { kind: "version4", value: Uint8Array.of(127, 0, 0, 1) }, port: 8193 }] },
    recipient: { localpart: "lucy", domain: ["example", "org"] },
    identifier: new TextEncoder().encode(String(i).padStart(16, "0")),
    sender: "bench",
    size: 4096,
  });
  for (let b = 0; b < 20; b++) await rnasp.notify(Array.from({ length: 500 }, (_, i) => note(b * 500 + i)));
  await rnasp.close();
  const t1 = performance.now();
  const q = await RnaqpClient.connect({ host: "127.0.0.1", port: peers.addresses.rnaqp!.port });
  await q.authenticate("lucy", "pw");
  let got = 0;
  for (;;) {
    const batch = await q.retrieveAndClear();
    if (batch.length === 0) break;
    got += batch.length;
  }
  await q.close();
  const ms = performance.now() - t1;
  console.log(`RNAQP RetrieveAndClear of ${got} notifications: ${ms.toFixed(0)} ms (${((got / ms) * 1000).toFixed(0)}/s), each answer durable before it is sent`);

  await peers.close();
  fs.rmSync(root, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
