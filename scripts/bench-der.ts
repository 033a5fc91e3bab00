// DER codec benchmark (issue 2): encode + decode of
//   (a) an RNASP CommandNotify carrying a batch of 100 notifications, and
//   (b) an MSOAP CommandSubmitMsgChunk carrying 64 KiB of message data,
// with our codecs and, side by side in the same process, with the asn1js package doing the same
// work: build the same structure from the same JavaScript value, toBER() it, fromBER() it and walk
// the result into the same JavaScript value. Before timing anything the script checks that asn1js
// produces exactly our octets and decodes to a value deep-equal to ours, so both sides provably do
// the same work. (asn1js decodes with `copyInput: false`, its faster mode.) (b) is also compared
// with two plain copies of the 64 KiB: `new Uint8Array(src)` (allocate and copy, as any encoder
// that returns fresh octets must) and `dst.set(src)` into a buffer allocated once (memcpy alone).
//
// Targets: (a) ours >= 2x asn1js throughput; (b) (encode+decode time) / (copy time) <= 2, judged
// against `new Uint8Array(src)`; the ratio against `dst.set(src)` is printed as well.
// Method: measurements that are compared run in one group: warm-up, then SAMPLES rounds in which
// each runs once for ~SAMPLE_MS, in rotating order. Reported: the median ops/s of each, and each
// ratio as the median (and quartiles) of the per-round ratios. Short paired samples matter here:
// allocating 64 KiB buffers at GB/s makes the collector's pace drift by 2-5x over hundreds of
// milliseconds on this kind of VM, and pairing cancels that drift where long samples do not.
//
// Run on one runtime:  node --import tsx scripts/bench-der.ts | bun scripts/bench-der.ts |
//                      deno run --no-check -A scripts/bench-der.ts
// All three:           npm run bench:der   (scripts/bench-der.sh)
// Options: --quick (fewer, shorter samples, for a smoke run)

import assert from "node:assert/strict";
import * as asn1js from "asn1js";
import { MSOAP, type MsoapCommand } from "../src/im2000/msoap.ts";
import { RNASP, type RnaspCommand } from "../src/im2000/rnasp.ts";
import type { Notification, ServiceLocation, MailBox } from "../src/im2000/types.ts";
import { args, runtimeVersion } from "../src/runtime/process.ts";

const quick = args().includes("--quick");
const SAMPLES = quick ? 5 : 101;
const SAMPLE_MS = quick ? 5 : 10;
const WARMUP_MS = quick ? 100 : 500;

// ---------------------------------------------------------------------------------------------
// The values

function notificationBatch(n: number): RnaspCommand {
  const notifications: Notification[] = [];
  for (let i = 0; i < n; i++) {
    const identifier = new Uint8Array(16);
    for (let j = 0; j < 16; j++) identifier[j] = (i * 31 + j * 7) & 0xff;
    notifications.push({
      storeclear: { kind: "literals", value: [{ address: { kind: "version4", value: Uint8Array.of(192, 0, 2, i & 0xff) }, port: 8193 }] },
      ...(i % 2 === 0 ? { storessl: { kind: "domain", value: ["store", "example", "com"] } as ServiceLocation } : {}),
      recipient: { localpart: `user${i}`, domain: ["example", "org"] },
      identifier,
      sender: "Toby Originator",
      size: 1000 + i * 37,
    });
  }
  return { commanddata: { kind: "commandNotify", value: { notifications } } };
}

const CHUNK_SIZE = 64 * 1024;
function messageChunk(): MsoapCommand {
  const data = new Uint8Array(CHUNK_SIZE);
  for (let i = 0; i < data.length; i++) data[i] = 32 + (i % 95);
  return { commanddata: { kind: "commandSubmitMsgChunk", value: { islast: false, offset: 1 << 20, data } } };
}

// ---------------------------------------------------------------------------------------------
// The same work with asn1js. IMPLICIT context tags are applied the asn1js way (build the typed
// block, then re-tag its identifier); the tagged CHOICEs are EXPLICIT wrappers (im2000 §6 item 4).

/** asn1js numbers the classes 1 universal, 2 application, 3 context-specific, 4 private. */
const UNIVERSAL = 1;
const CONTEXT = 3;
function tagged<B extends asn1js.BaseBlock>(block: B, tagNumber: number): B {
  block.idBlock.tagClass = CONTEXT;
  block.idBlock.tagNumber = tagNumber;
  return block;
}
const ctx = (tagNumber: number, value: asn1js.BaseBlock[]) => new asn1js.Constructed({ idBlock: { tagClass: CONTEXT, tagNumber }, value });
const utf8 = (s: string, tag: number) => tagged(new asn1js.Utf8String({ value: s }), tag);
const uint = (n: number, tag: number) => tagged(new asn1js.Integer({ value: n }), tag);
const octets = (b: Uint8Array, tag: number) => tagged(new asn1js.OctetString({ valueHex: b }), tag);
const bool = (v: boolean, tag: number) => tagged(new asn1js.Boolean({ value: v }), tag);
const domainName = (labels: string[], tag: number) => ctx(tag, labels.map((l) => new asn1js.IA5String({ value: l })));

function a1ServiceLocation(s: ServiceLocation): asn1js.BaseBlock {
  if (s.kind === "domain") return domainName(s.value, 1);
  return ctx(
    0,
    s.value.map((l) => new asn1js.Sequence({ value: [ctx(0, [octets(l.address.value, l.address.kind === "version4" ? 0 : 1)]), uint(l.port, 1)] })),
  );
}

function a1Notification(n: Notification): asn1js.Sequence {
  const value: asn1js.BaseBlock[] = [ctx(0, [a1ServiceLocation(n.storeclear)])];
  if (n.storessl !== undefined) value.push(ctx(1, [a1ServiceLocation(n.storessl)]));
  value.push(ctx(2, [utf8(n.recipient.localpart, 0), domainName(n.recipient.domain, 1)]), octets(n.identifier, 3), utf8(n.sender, 4));
  if (n.size !== undefined) value.push(uint(n.size, 5));
  return new asn1js.Sequence({ value });
}

function a1EncodeNotify(cmd: RnaspCommand): Uint8Array {
  const body = ctx(0, [ctx(0, cmd.commanddata.value.notifications.map(a1Notification))]); // CommandNotify { [0] notifications }
  return new Uint8Array(ctx(1, [ctx(0, [body])]).toBER()); // [1] Command { [0] commanddata }
}

function a1EncodeChunk(cmd: MsoapCommand): Uint8Array {
  const c = cmd.commanddata;
  if (c.kind !== "commandSubmitMsgChunk") throw new TypeError(c.kind);
  const body = ctx(2, [bool(c.value.islast, 0), uint(c.value.offset, 1), octets(c.value.data, 2)]);
  return new Uint8Array(ctx(1, [ctx(0, [body])]).toBER());
}

// Decoding: fromBER (without its defensive input copy, the faster option), then a walk that
// checks tags as it goes and builds the same JavaScript value our decoder returns.

const text = new TextDecoder("utf-8", { fatal: true });
type Block = asn1js.BaseBlock & { valueBlock: { value?: Block[]; valueHexView?: Uint8Array } };

function children(b: Block, tagNumber: number, tagClass = CONTEXT): Block[] {
  if (b.idBlock.tagClass !== tagClass || b.idBlock.tagNumber !== tagNumber || b.valueBlock.value === undefined) throw new Error(`unexpected [${b.idBlock.tagClass} ${b.idBlock.tagNumber}]`);
  return b.valueBlock.value;
}
function content(b: Block, tagNumber: number): Uint8Array {
  if (b.idBlock.tagClass !== CONTEXT || b.idBlock.tagNumber !== tagNumber || b.valueBlock.valueHexView === undefined) throw new Error(`unexpected [${b.idBlock.tagClass} ${b.idBlock.tagNumber}]`);
  return b.valueBlock.valueHexView;
}
function uintOf(b: Uint8Array): number {
  let v = 0;
  for (let i = 0; i < b.length; i++) v = v * 256 + b[i]!;
  return v;
}
const labelsOf = (b: Block, tag: number) => children(b, tag).map((l) => (l as unknown as asn1js.IA5String).getValue());

function walkServiceLocation(b: Block): ServiceLocation {
  if (b.idBlock.tagNumber === 1) return { kind: "domain", value: labelsOf(b, 1) };
  return {
    kind: "literals",
    value: children(b, 0).map((s) => {
      const [addr, port] = children(s, 16, UNIVERSAL);
      const a = children(addr!, 0)[0]!;
      const v = a.idBlock.tagNumber === 0 ? ({ kind: "version4", value: content(a, 0) } as const) : ({ kind: "version6", value: content(a, 1) } as const);
      return { address: v, port: uintOf(content(port!, 1)) };
    }),
  };
}

function walkNotification(seq: Block): Notification {
  const n: Partial<Notification> = {};
  for (const f of children(seq, 16, UNIVERSAL)) {
    switch (f.idBlock.tagNumber) {
      case 0:
        n.storeclear = walkServiceLocation(children(f, 0)[0]!);
        break;
      case 1:
        n.storessl = walkServiceLocation(children(f, 1)[0]!);
        break;
      case 2: {
        const [lp, dom] = children(f, 2);
        n.recipient = { localpart: text.decode(content(lp!, 0)), domain: labelsOf(dom!, 1) } satisfies MailBox;
        break;
      }
      case 3:
        n.identifier = content(f, 3);
        break;
      case 4:
        n.sender = text.decode(content(f, 4));
        break;
      case 5:
        n.size = uintOf(content(f, 5));
        break;
    }
  }
  return n as Notification;
}

function a1Root(bytes: Uint8Array): Block {
  const { offset, result } = asn1js.fromBER(bytes, { copyInput: false });
  if (offset !== bytes.length) throw new Error(`asn1js: ${result.error}`);
  return result as Block;
}

function a1DecodeNotify(bytes: Uint8Array): { kind: "command"; value: RnaspCommand } {
  const body = children(children(children(a1Root(bytes), 1)[0]!, 0)[0]!, 0)[0]!;
  const notifications = children(body, 0).map(walkNotification);
  return { kind: "command", value: { commanddata: { kind: "commandNotify", value: { notifications } } } };
}

function a1DecodeChunk(bytes: Uint8Array): { kind: "command"; value: MsoapCommand } {
  const [islast, offset, data] = children(children(children(a1Root(bytes), 1)[0]!, 0)[0]!, 2);
  const value = { islast: content(islast!, 0)[0] === 0xff, offset: uintOf(content(offset!, 1)), data: content(data!, 2) };
  return { kind: "command", value: { commanddata: { kind: "commandSubmitMsgChunk", value } } };
}

// ---------------------------------------------------------------------------------------------
// Measurement

/** Defeats dead-code elimination: every timed call feeds it. */
let sink = 0;

interface Measure {
  label: string;
  fn: () => number;
  iterations: number;
  samples: number[]; // ops/s
}

function measure(label: string, fn: () => number): Measure {
  return { label, fn, iterations: 1, samples: [] };
}

function timeOnce(m: Measure): number {
  const t0 = performance.now();
  for (let i = 0; i < m.iterations; i++) sink += m.fn();
  return performance.now() - t0;
}

/** Warms every measurement up and sizes its batch to about SAMPLE_MS. */
function calibrate(ms: Measure[]): void {
  for (const m of ms) {
    const until = performance.now() + WARMUP_MS / ms.length;
    let n = 0;
    const t0 = performance.now();
    while (performance.now() < until || n < 3) {
      sink += m.fn();
      n++;
    }
    const t = performance.now() - t0;
    m.iterations = Math.max(1, Math.round((SAMPLE_MS * n) / t));
  }
}

function run(ms: Measure[]): void {
  calibrate(ms);
  for (let s = 0; s < SAMPLES; s++) {
    // Rotate the order each round so no measurement always follows the same one.
    for (let k = 0; k < ms.length; k++) {
      const m = ms[(k + s) % ms.length]!;
      const elapsed = timeOnce(m);
      m.samples.push((m.iterations * 1000) / elapsed);
    }
  }
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (pos - lo);
}
const median = (xs: number[]) => quantile(xs, 0.5);

/** Interquartile range relative to the median: how much the samples of one measurement vary. */
const iqr = (xs: number[]) => (quantile(xs, 0.75) - quantile(xs, 0.25)) / median(xs);

/**
 * The ratio of two measurements' throughput, from the ratios within each round: both were timed
 * moments apart, so slow drifts of the machine (the collector's heap-sizing heuristics, page
 * faults in a VM, frequency) cancel out instead of landing on one side. Median and quartiles.
 */
function pairedRatio(a: Measure, b: Measure): { median: number; q1: number; q3: number } {
  const r = a.samples.map((x, i) => x / b.samples[i]!);
  return { median: median(r), q1: quantile(r, 0.25), q3: quantile(r, 0.75) };
}

// ---------------------------------------------------------------------------------------------
// The cases

const batch = notificationBatch(100);
const batchBytes = RNASP.encodeCommand(batch, false);
const chunk = messageChunk();
const chunkBytes = MSOAP.encodeCommand(chunk, false);
const chunkData = (chunk.commanddata.value as { data: Uint8Array }).data;

// Equal work: the same octets out, the same value back.
assert.deepEqual(a1EncodeNotify(batch), batchBytes, "asn1js encodes the notify batch to our octets");
assert.deepEqual(a1EncodeChunk(chunk), chunkBytes, "asn1js encodes the chunk to our octets");
assert.deepEqual(a1DecodeNotify(batchBytes), RNASP.decodePdu(batchBytes), "asn1js walk gives our notify value");
assert.deepEqual(a1DecodeChunk(chunkBytes), MSOAP.decodePdu(chunkBytes), "asn1js walk gives our chunk value");
assert.deepEqual(RNASP.decodePdu(batchBytes), { kind: "command", value: batch });

const notifyOurs = {
  enc: measure("ours encode", () => RNASP.encodeCommand(batch, false).length),
  dec: measure("ours decode", () => RNASP.decodePdu(batchBytes).kind.length),
  both: measure("ours enc+dec", () => RNASP.decodePdu(RNASP.encodeCommand(batch, false)).kind.length),
};
const notifyAsn1 = {
  enc: measure("asn1js encode", () => a1EncodeNotify(batch).length),
  dec: measure("asn1js decode", () => a1DecodeNotify(batchBytes).kind.length),
  both: measure("asn1js enc+dec", () => a1DecodeNotify(a1EncodeNotify(batch)).kind.length),
};
const chunkOurs = {
  enc: measure("ours encode", () => MSOAP.encodeCommand(chunk, false).length),
  dec: measure("ours decode", () => MSOAP.decodePdu(chunkBytes).kind.length),
  both: measure("ours enc+dec", () => MSOAP.decodePdu(MSOAP.encodeCommand(chunk, false)).kind.length),
};
// What the MSOAP client actually sends: framed parts for one gathered write (the 64 KiB by
// reference), and what the server decodes: the contiguous frame it read from the socket.
const chunkFramed = MSOAP.encodeCommand(chunk, true).subarray(4);
const chunkGathered = measure("ours enc(parts)+dec", () => MSOAP.encodeCommandParts(chunk).length + MSOAP.decodePdu(chunkFramed).kind.length);
const chunkAsn1 = {
  enc: measure("asn1js encode", () => a1EncodeChunk(chunk).length),
  dec: measure("asn1js decode", () => a1DecodeChunk(chunkBytes).kind.length),
  both: measure("asn1js enc+dec", () => a1DecodeChunk(a1EncodeChunk(chunk)).kind.length),
};
// The two plain copies: into a new buffer (the work an encoder returning fresh octets cannot
// avoid: allocate, then copy) and into a buffer allocated once (memcpy alone).
const copyNew = measure("copy 64 KiB, new Uint8Array(src)", () => new Uint8Array(chunkData).length);
const target = new Uint8Array(CHUNK_SIZE);
const copySet = measure("copy 64 KiB, dst.set(src)", () => {
  target.set(chunkData);
  return target[CHUNK_SIZE - 1]!;
});

// Measurements compared with each other run in the same group, sample for sample.
run([notifyOurs.both, notifyAsn1.both]);
run([notifyOurs.enc, notifyAsn1.enc]);
run([notifyOurs.dec, notifyAsn1.dec]);
run([chunkOurs.both, chunkGathered, copyNew, copySet, chunkAsn1.both]);
run([chunkOurs.enc, chunkOurs.dec, chunkAsn1.enc, chunkAsn1.dec]);

// ---------------------------------------------------------------------------------------------
// Report

const fmt = (x: number) => (x >= 100 ? Math.round(x).toLocaleString("en-US") : x.toFixed(1));
const row = (cells: string[]) => `| ${cells[0]!.padEnd(38)} | ${cells.slice(1).map((c) => c.padStart(11)).join(" | ")} |`;
const med = (m: Measure) => median(m.samples);
const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
const ratio = (r: { median: number; q1: number; q3: number }, unit = "x") => `${r.median.toFixed(2)}${unit} [${r.q1.toFixed(2)}-${r.q3.toFixed(2)}]`;

const lines: string[] = [];
lines.push(`DER benchmark on ${runtimeVersion()}: ${SAMPLES} samples of ~${SAMPLE_MS} ms per measurement, median ops/s (higher is better)`);
lines.push(`(a) RNASP CommandNotify, 100 notifications, ${batchBytes.length} octets; (b) MSOAP CommandSubmitMsgChunk, ${CHUNK_SIZE} data octets, ${chunkBytes.length} octets`);
lines.push("");
lines.push(row(["measurement", "encode", "decode", "enc+dec", "IQR enc+dec"]));
lines.push(row(["-".repeat(38), ..."-".repeat(4).split("").map(() => "-".repeat(11))]));
for (const [label, set] of [
  ["(a) ours", notifyOurs],
  ["(a) asn1js", notifyAsn1],
  ["(b) ours", chunkOurs],
  ["(b) asn1js", chunkAsn1],
] as const) {
  lines.push(row([label, fmt(med(set.enc)), fmt(med(set.dec)), fmt(med(set.both)), pct(iqr(set.both.samples))]));
}
for (const m of [chunkGathered, copyNew, copySet]) lines.push(row([`(b) ${m.label}`, "", "", fmt(med(m)), pct(iqr(m.samples))]));
lines.push("");

// Ratios: median of the per-round ratios, [first-third quartile].
const ratioA = pairedRatio(notifyOurs.both, notifyAsn1.both);
const ratioB = pairedRatio(copyNew, chunkOurs.both); // (our enc+dec time) / (copy time)
const verdict = (ok: boolean) => (ok ? "met" : "MISSED");
lines.push(`(a) ours / asn1js throughput, enc+dec:            ${ratio(ratioA)}   target >= 2: ${verdict(ratioA.median >= 2)}`);
lines.push(`    encode ${ratio(pairedRatio(notifyOurs.enc, notifyAsn1.enc))}, decode ${ratio(pairedRatio(notifyOurs.dec, notifyAsn1.dec))}`);
const ratioBGathered = pairedRatio(copyNew, chunkGathered);
lines.push(`(b) ours enc+dec time / new Uint8Array(src) time: ${ratio(ratioB, "")}   target <= 2: ${verdict(ratioB.median <= 2)} (contiguous encoding)`);
lines.push(`    as sent (gathered parts, payload not copied) + decode: ${ratio(ratioBGathered, "")}   target <= 2: ${verdict(ratioBGathered.median <= 2)}`);
lines.push(`    asn1js enc+dec time / new Uint8Array(src) time: ${ratio(pairedRatio(copyNew, chunkAsn1.both), "")}`);
lines.push(`    ours enc+dec time / dst.set(src) time (no allocation): ${ratio(pairedRatio(copySet, chunkOurs.both), "")}`);
lines.push(`(b) ours / asn1js throughput, enc+dec:            ${ratio(pairedRatio(chunkOurs.both, chunkAsn1.both))}`);
console.log(lines.join("\n"));
if (sink === 42) console.log(""); // keep `sink` observable
