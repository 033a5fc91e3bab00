// The POP3 shim against a fake RNA and a fake message store, over real sockets: every POP-*
// requirement by ID, plus the RFC 1939/2449/5034 behaviour and bad input.

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startPop3Service, type Pop3ServiceConfig } from "../../src/pop3/service.ts";
import { MemoryNoteStore } from "../../src/notes/memory-store.ts";
import { MsrapStatus } from "../../src/im2000/msrap.ts";
import { RnaqpStatus } from "../../src/im2000/rnaqp.ts";
import { hexIdentifier, type NoteStore } from "../../src/notes/notes.ts";
import { FakeMsrap, FakeRna, makeNote } from "../helpers/fake-reader-peers.ts";
import { b64, LineClient } from "../helpers/line-client.ts";
import { waitFor } from "../helpers/wait.ts";

const dec = new TextDecoder();
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function env(cfg: Partial<Pop3ServiceConfig> = {}, notes: NoteStore = new MemoryNoteStore()) {
  const rna = await FakeRna.start();
  const store = await FakeMsrap.start();
  rna.accounts.set("lucy", "pw");
  rna.accounts.set("max", "pw2");
  const pop = await startPop3Service({ hostname: "pop.test", listen: [{ host: "127.0.0.1", port: 0 }], rna: { kind: "address", host: "127.0.0.1", port: rna.port }, notes, testMode: true, ...cfg });
  cleanups.push(() => rna.stop(), () => store.stop(), () => pop.close());
  return { rna, store, pop, port: pop.ports[0]!.port, notes };
}

async function one(c: LineClient, cmd: string): Promise<string> {
  await c.send(cmd);
  return (await c.line())!;
}

async function multi(c: LineClient, cmd: string): Promise<{ status: string; lines: string[] }> {
  await c.send(cmd);
  const status = (await c.line())!;
  const lines: string[] = [];
  if (!status.startsWith("+OK")) return { status, lines };
  for (;;) {
    const l = (await c.line())!;
    if (l === ".") break;
    lines.push(l.startsWith("..") ? l.slice(1) : l);
  }
  return { status, lines };
}

/** A multi-line body as raw octets (dot-unstuffed), to compare byte for byte. */
async function body(c: LineClient, cmd: string): Promise<{ status: string; data: string }> {
  const r = await multi(c, cmd);
  return { status: r.status, data: r.lines.map((l) => l + "\r\n").join("") };
}

async function login(port: number, user = "lucy", pass = "pw"): Promise<LineClient> {
  const c = await LineClient.connect(port);
  assert.match((await c.line())!, /^\+OK/);
  assert.match(await one(c, `USER ${user}`), /^\+OK/);
  const r = await one(c, `PASS ${pass}`);
  assert.match(r, /^\+OK/, r);
  return c;
}

const MSG = (i: number) => `From: toby@example.net\r\nSubject: message ${i}\r\n\r\nline one\r\n.leading dot\r\nlast line ${i}\r\n`;

describe("POP3 shim (shims §2.3)", () => {
  it("POP-1 USER/PASS reach RNAQP unchanged; bad credentials get -ERR [AUTH]; other failures -ERR [SYS/TEMP]", async () => {
    const { rna, port } = await env();
    rna.accounts.set("a b", "p ss w");
    const c = await LineClient.connect(port);
    await c.line();
    await one(c, "USER a b");
    assert.match(await one(c, "PASS p ss w"), /^\+OK/);
    const auth = rna.received.find((r) => r.kind === "commandAuthenticate");
    assert.deepEqual(auth?.kind === "commandAuthenticate" && auth.value, { account: "a b", password: "p ss w" });
    c.close();
    const bad = await LineClient.connect(port);
    await bad.line();
    await one(bad, "USER lucy");
    assert.match(await one(bad, "PASS wrong"), /^-ERR \[AUTH\]/);
    bad.close();
    rna.authStatus = RnaqpStatus.errorinternalproblem;
    const temp = await LineClient.connect(port);
    await temp.line();
    await one(temp, "USER lucy");
    assert.match(await one(temp, "PASS pw"), /^-ERR \[SYS\/TEMP\]/);
    temp.close();
  });

  it("POP-1 AUTH PLAIN with and without an initial response; APOP is not offered", async () => {
    const { port } = await env();
    const c = await LineClient.connect(port);
    const greeting = (await c.line())!;
    assert.doesNotMatch(greeting, /<.*@.*>/, "no APOP timestamp");
    assert.match(await one(c, `AUTH PLAIN ${b64("\0lucy\0pw")}`), /^\+OK/);
    c.close();
    const d = await LineClient.connect(port);
    await d.line();
    assert.equal(await one(d, "AUTH PLAIN"), "+ ");
    assert.match(await one(d, b64("\0lucy\0pw")), /^\+OK/);
    d.close();
  });

  it("POP-1 with the RNA down, login gets -ERR [SYS/TEMP]", async () => {
    const notes = new MemoryNoteStore();
    const pop = await startPop3Service({ hostname: "h", listen: [{ host: "127.0.0.1", port: 0 }], rna: { kind: "address", host: "127.0.0.1", port: 1 }, notes });
    cleanups.push(() => pop.close());
    const c = await LineClient.connect(pop.ports[0]!.port);
    await c.line();
    await one(c, "USER lucy");
    assert.match(await one(c, "PASS pw"), /^-ERR \[SYS\/TEMP\]/);
    c.close();
  });

  it("POP-2 repeats RetrieveAndClear until empty, saves durably, drops duplicates; a second login gets -ERR [IN-USE]", async () => {
    const { rna, store, port, notes } = await env();
    rna.cap = 2;
    const ns = [1, 2, 3, 4, 5].map((i) => makeNote(store, "lucy", MSG(i)));
    rna.queue("lucy", ...ns, ns[1]!); // a duplicate of message 2
    const c = await login(port);
    assert.equal(rna.received.filter((r) => r.kind === "commandRetrieveAndClear").length, 4, "until an empty answer");
    const mb = await notes.open("lucy");
    assert.equal(mb.list().length, 5);
    const second = await LineClient.connect(port);
    await second.line();
    await one(second, "USER lucy");
    assert.match(await one(second, "PASS pw"), /^-ERR \[IN-USE\]/);
    second.close();
    c.close();
  });

  it("POP-3 each new notification is silenced at its store, once", async () => {
    const { rna, store, port } = await env();
    rna.queue("lucy", makeNote(store, "lucy", MSG(1)), makeNote(store, "lucy", MSG(2)));
    const c = await login(port);
    await waitFor(() => store.commands("commandSilence").length === 2, "two Silence commands");
    assert.ok([...store.messages.values()].every((m) => m.silenced));
    assert.match(await one(c, "QUIT"), /^\+OK/);
    const again = await login(port);
    assert.match(await one(again, "STAT"), /^\+OK 2 /);
    assert.equal(store.commands("commandSilence").length, 2, "not silenced twice");
    again.close();
  });

  it("POP-4 the maildrop is the saved notifications, oldest first, frozen at login", async () => {
    const { rna, store, port } = await env();
    rna.queue("lucy", makeNote(store, "lucy", MSG(1)), makeNote(store, "lucy", MSG(2)));
    const c = await login(port);
    rna.queue("lucy", makeNote(store, "lucy", MSG(3)));
    const list = await multi(c, "LIST");
    assert.equal(list.lines.length, 2, "frozen: the third arrives at the next login");
    assert.match((await body(c, "RETR 1")).data, /Subject: message 1/);
    assert.match((await body(c, "RETR 2")).data, /Subject: message 2/);
    await one(c, "QUIT");
    const d = await login(port);
    assert.equal((await multi(d, "LIST")).lines.length, 3);
    d.close();
  });

  it("POP-5 sizes are exact octet counts from the store, not the notification's", async () => {
    const { rna, store, port } = await env();
    rna.queue("lucy", makeNote(store, "lucy", MSG(1), { size: 99999 }));
    const c = await login(port);
    const exact = new TextEncoder().encode(MSG(1)).byteLength;
    assert.equal(await one(c, "STAT"), `+OK 1 ${exact}`);
    assert.deepEqual((await multi(c, "LIST")).lines, [`1 ${exact}`]);
    assert.equal(store.commands("commandRetrieve").filter((r) => r.kind === "commandRetrieve" && r.value.length > 0).length, 0, "sized without retrieving content");
    c.close();
  });

  it("POP-7 RETR answers at once with the first page's exact size, while the login's size queries and Silences are still pending", async () => {
    const { rna, store, port } = await env();
    let release!: () => void;
    store.backgroundGate = new Promise((r) => (release = r));
    rna.queue("lucy", makeNote(store, "lucy", MSG(1), { size: 99999 }), makeNote(store, "lucy", MSG(2), { size: 99999 }));
    const c = await login(port);
    const exact = (i: number) => new TextEncoder().encode(MSG(i)).byteLength;
    // Waiting for every size (or queueing behind them) would wait for the gate, i.e. forever.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const r = await Promise.race([body(c, "RETR 2"), new Promise<never>((_, no) => (timer = setTimeout(() => no(new Error("RETR waited for the background work")), 5000)))]).finally(() => clearTimeout(timer));
    assert.equal(r.status, `+OK ${exact(2)} octets`);
    assert.equal(r.data, MSG(2));
    release();
    assert.equal(await one(c, "STAT"), `+OK 2 ${exact(1) + exact(2)}`);
    c.close();
  });

  it("POP-5 while the store is unreachable the notification's size is used", async () => {
    const { rna, store, port } = await env();
    const n = makeNote(store, "lucy", MSG(1), { size: 1234 });
    rna.queue("lucy", n);
    await store.stop();
    const c = await login(port);
    assert.equal(await one(c, "STAT"), "+OK 1 1234");
    c.close();
  });

  it("POP-6 UIDL is the identifier in lower-case hex, stable across sessions", async () => {
    const { rna, store, port } = await env();
    const n = makeNote(store, "lucy", MSG(1));
    rna.queue("lucy", n);
    const c = await login(port);
    const hex = hexIdentifier(n.notification.identifier);
    assert.deepEqual((await multi(c, "UIDL")).lines, [`1 ${hex}`]);
    assert.equal(await one(c, "UIDL 1"), `+OK 1 ${hex}`);
    await one(c, "QUIT");
    const d = await login(port);
    assert.deepEqual((await multi(d, "UIDL")).lines, [`1 ${hex}`]);
    d.close();
  });

  it("POP-7 RETR fetches in pages and sends the exact octets, dot-stuffed", async () => {
    const { rna, store, port } = await env({ pageSize: 1000 });
    store.maxPage = 700;
    const big = `Subject: big\r\n\r\n${Array.from({ length: 400 }, (_, i) => (i % 7 === 0 ? "." : "") + `line ${i} ${"y".repeat(50)}`).join("\r\n")}\r\n`;
    rna.queue("lucy", makeNote(store, "lucy", big));
    const c = await login(port);
    const r = await body(c, "RETR 1");
    assert.equal(r.status, `+OK ${big.length} octets`);
    assert.equal(r.data, big);
    assert.ok(store.commands("commandRetrieve").length > 30, "many pages");
    c.close();
  });

  it("POP-8 TOP n 0 uses headersonly; TOP n k returns the header and k body lines", async () => {
    const { rna, store, port } = await env();
    rna.queue("lucy", makeNote(store, "lucy", MSG(1)));
    const c = await login(port);
    const t0 = await body(c, "TOP 1 0");
    assert.equal(t0.data, "From: toby@example.net\r\nSubject: message 1\r\n\r\n");
    assert.ok(store.commands("commandRetrieve").every((r) => r.kind === "commandRetrieve" && (r.value.type !== 3 || r.value.length === 0)), "no type=all for TOP n 0");
    const t2 = await body(c, "TOP 1 2");
    assert.equal(t2.data, "From: toby@example.net\r\nSubject: message 1\r\n\r\nline one\r\n.leading dot\r\n");
    c.close();
  });

  it("POP-9 DELE marks, RSET clears, QUIT un-pins and removes; a failed un-pin keeps the message", async () => {
    const { rna, store, port, notes } = await env();
    const [a, b, x] = [makeNote(store, "lucy", MSG(1)), makeNote(store, "lucy", MSG(2)), makeNote(store, "lucy", MSG(3))];
    rna.queue("lucy", a, b, x);
    store.messages.get(hexIdentifier(b.notification.identifier))!.unpinStatus = MsrapStatus.errorinternalproblem;
    const c = await login(port);
    assert.match(await one(c, "DELE 1"), /^\+OK/);
    assert.match(await one(c, "DELE 1"), /^-ERR/, "already deleted");
    assert.match(await one(c, "RSET"), /^\+OK/);
    assert.equal(store.commands("commandUnPin").length, 0, "DELE and RSET cost no IM2000 traffic");
    await one(c, "DELE 1");
    await one(c, "DELE 2");
    assert.equal(await one(c, "QUIT"), "-ERR [SYS/TEMP] some deleted messages not removed");
    assert.equal(store.messages.get(hexIdentifier(a.notification.identifier))!.pinned, false);
    const left = (await notes.open("lucy")).list().map((n) => hexIdentifier(n.identifier));
    assert.deepEqual(left, [b, x].map((n) => hexIdentifier(n.notification.identifier)));
  });

  it("POP-10 a connection dropped after DELE un-pins and deletes nothing", async () => {
    const { rna, store, port, notes } = await env();
    rna.queue("lucy", makeNote(store, "lucy", MSG(1)));
    const c = await login(port);
    await one(c, "DELE 1");
    c.close();
    await waitFor(async () => notes.lock("lucy", "pop3") !== undefined, "the lock to be released");
    assert.equal(store.commands("commandUnPin").length, 0);
    assert.equal((await notes.open("lucy")).list().length, 1);
  });

  it("POP-11 a withdrawn message is shown as a short explanation; DELE then just removes it", async () => {
    const { rna, store, port, notes } = await env();
    const n = makeNote(store, "lucy", MSG(1));
    rna.queue("lucy", n);
    store.messages.get(hexIdentifier(n.notification.identifier))!.withdrawn = true;
    const c = await login(port);
    const r = await body(c, "RETR 1");
    assert.match(r.data, /^From: IM2000 reading shim/);
    assert.match(r.data, /Subject: Message withdrawn/);
    assert.match(r.data, new RegExp(hexIdentifier(n.notification.identifier)));
    assert.match(r.data, /127\.0\.0\.1:\d+/);
    const size = Number((await one(c, "LIST 1")).split(" ")[2]);
    assert.equal(size, new TextEncoder().encode(r.data).byteLength, "LIST matches what RETR sends");
    await one(c, "DELE 1");
    assert.match(await one(c, "QUIT"), /^\+OK/);
    assert.equal((await notes.open("lucy")).list().length, 0);
  });

  it("POP-12 an unreachable store gives RETR/TOP -ERR [SYS/TEMP] and keeps the message", async () => {
    const { rna, store, port, notes } = await env();
    rna.queue("lucy", makeNote(store, "lucy", MSG(1)));
    const c = await login(port);
    await store.stop();
    assert.match(await one(c, "RETR 1"), /^-ERR \[SYS\/TEMP\]/);
    assert.match(await one(c, "TOP 1 0"), /^-ERR \[SYS\/TEMP\]/);
    assert.match(await one(c, "QUIT"), /^\+OK/);
    assert.equal((await notes.open("lucy")).list().length, 1);
  });

  it("POP-15 TOP n 0 then DELE refuses a message whose body was never transferred", async () => {
    const { rna, store, port } = await env();
    const n = makeNote(store, "lucy", MSG(1));
    rna.queue("lucy", n);
    const c = await login(port);
    await body(c, "TOP 1 0");
    await one(c, "DELE 1");
    await one(c, "QUIT");
    assert.ok(store.commands("commandRetrieve").every((r) => r.kind === "commandRetrieve" && !(r.value.type === 3 && r.value.length > 0)));
    assert.equal(store.messages.get(hexIdentifier(n.notification.identifier))!.pinned, false);
  });
});

describe("POP3 shim faults", () => {
  for (const [name, status] of Object.entries(RnaqpStatus).filter(([n]) => n !== "noerror" && n !== "errornotauthenticated")) {
    it(`the RNA answering RetrieveAndClear with ${name} gives -ERR [SYS/TEMP] and no lock is left behind`, async () => {
      const { rna, port, notes } = await env();
      rna.retrieveStatus = status;
      const c = await LineClient.connect(port);
      await c.line();
      await one(c, "USER lucy");
      assert.match(await one(c, "PASS pw"), /^-ERR \[SYS\/TEMP\]/);
      c.close();
      const release = notes.lock("lucy", "pop3");
      assert.ok(release, "lock released");
      release();
    });
  }
  for (const [name, status] of Object.entries(MsrapStatus).filter(([n]) => !["noerror", "errornosuchmessage"].includes(n))) {
    it(`the store answering Retrieve with ${name} gives RETR -ERR [SYS/TEMP]; the message stays`, async () => {
      const { rna, store, port, notes } = await env();
      const n = makeNote(store, "lucy", MSG(1));
      rna.queue("lucy", n);
      const c = await login(port);
      await one(c, "STAT");
      store.messages.get(hexIdentifier(n.notification.identifier))!.retrieveStatus = status;
      assert.match(await one(c, "RETR 1"), /^-ERR \[SYS\/TEMP\]/);
      assert.match(await one(c, "NOOP"), /^\+OK/);
      await one(c, "QUIT");
      assert.equal((await notes.open("lucy")).list().length, 1);
    });
  }
  it("a slow RNA (no answer) gives -ERR [SYS/TEMP] after the response timeout", async () => {
    const { rawServer } = await import("../helpers/raw-peer.ts");
    const silent = await rawServer(async () => {});
    cleanups.push(() => silent.close());
    const notes = new MemoryNoteStore();
    const { Im2000Pop3Backend } = await import("../../src/pop3/im2000-backend.ts");
    const backend = new Im2000Pop3Backend({ rna: { kind: "address", host: "127.0.0.1", port: silent.port }, rnaResponseTimeoutMs: 300, stores: {}, notes, pageSize: 1024, log: (await import("../../src/util/log.ts")).silentLogger });
    const r = await backend.login("lucy", "pw");
    assert.deepEqual([r.ok, !r.ok && r.reason], [false, "temp"]);
  });
  it("a slow store (no answer within the response timeout) gives RETR -ERR [SYS/TEMP]; the message stays", async () => {
    const { rna, store, port, notes } = await env({ stores: { responseTimeoutMs: 300 } });
    rna.queue("lucy", makeNote(store, "lucy", MSG(1)));
    store.delayMs = 2000;
    const c = await login(port);
    assert.match(await one(c, "RETR 1"), /^-ERR \[SYS\/TEMP\]/);
    assert.match(await one(c, "QUIT"), /^\+OK/);
    store.delayMs = 0;
    assert.equal((await notes.open("lucy")).list().length, 1);
  });
  it("a store that accepts connections but never answers is given up on once, not once per message", async () => {
    const { rawServer } = await import("../helpers/raw-peer.ts");
    let connections = 0;
    const silent = await rawServer(async () => {
      connections++;
    });
    cleanups.push(() => silent.close());
    const { rna, port } = await env({ stores: { responseTimeoutMs: 300 } });
    const dead = await FakeMsrap.start();
    const notes = [1, 2, 3, 4, 5].map((i) => makeNote(dead, "lucy", MSG(i), { size: 100 + i }));
    await dead.stop();
    for (const n of notes) (n.notification.storeclear as { value: { port: number }[] }).value[0]!.port = silent.port;
    rna.queue("lucy", ...notes);
    const c = await login(port);
    assert.equal(await one(c, "STAT"), `+OK 5 ${101 + 102 + 103 + 104 + 105}`, "the notifications' own sizes (POP-5)");
    assert.match(await one(c, "RETR 1"), /^-ERR \[SYS\/TEMP\]/);
    await one(c, "QUIT");
    assert.ok(connections <= 2, `${connections} connections to the silent store`);
  });
  it("a client dropping in the middle of RETR deletes nothing", async () => {
    const { rna, store, port, notes } = await env({ pageSize: 1024 });
    const n = makeNote(store, "lucy", "Subject: big\r\n\r\n" + "z".repeat(3_000_000) + "\r\n");
    rna.queue("lucy", n);
    const c = await login(port);
    await one(c, "DELE 1").then(() => one(c, "RSET"));
    await c.send("RETR 1");
    assert.match((await c.line())!, /^\+OK/);
    c.close();
    await waitFor(async () => notes.lock("lucy", "pop3") !== undefined, "the session to end");
    assert.equal(store.commands("commandUnPin").length, 0);
    assert.equal((await notes.open("lucy")).list().length, 1);
  });
});

describe("POP3 protocol (RFC 1939, 2449, 3206) and bad input", () => {
  it("a client silent at an AUTH challenge hears the same -ERR as any other: autologout on timeout, [SYS/TEMP] on shutdown", async () => {
    const idle = await env({ idleTimeoutMs: 300 });
    const a = await LineClient.connect(idle.port);
    await a.line();
    assert.equal(await one(a, "AUTH PLAIN"), "+ ");
    assert.match((await a.line(3000))!, /^-ERR Autologout/);
    assert.equal(await a.closed(), true);
    const { pop, port } = await env();
    const b = await LineClient.connect(port);
    await b.line();
    assert.equal(await one(b, "AUTH PLAIN"), "+ ");
    const done = pop.close();
    assert.match((await b.line())!, /^-ERR \[SYS\/TEMP\] Server shutting down/);
    await done;
  });
  it("CAPA lists the capabilities; commands in the wrong state get -ERR", async () => {
    const { port } = await env();
    const c = await LineClient.connect(port);
    await c.line();
    const caps = await multi(c, "CAPA");
    for (const cap of ["TOP", "UIDL", "USER", "SASL PLAIN", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "IMPLEMENTATION im2000-shims"]) assert.ok(caps.lines.includes(cap), cap);
    assert.match(await one(c, "STAT"), /^-ERR/);
    assert.match(await one(c, "PASS x"), /^-ERR/);
    assert.match(await one(c, "FROB"), /^-ERR/);
    c.close();
  });
  it("message numbers: huge, zero, negative and non-numeric are refused", async () => {
    const { rna, store, port } = await env();
    rna.queue("lucy", makeNote(store, "lucy", MSG(1)));
    const c = await login(port);
    for (const arg of ["99999999999999", "0", "-1", "abc", "1x", "01", "2"]) assert.match(await one(c, `RETR ${arg}`), /^-ERR/, arg);
    assert.match(await one(c, "TOP 1 -1"), /^-ERR/);
    assert.match(await one(c, "TOP 1"), /^-ERR/);
    assert.match(await one(c, "NOOP"), /^\+OK/);
    c.close();
  });
  it("pipelined commands (mpop style) are answered in order", async () => {
    const { rna, store, port } = await env();
    rna.queue("lucy", makeNote(store, "lucy", MSG(1)), makeNote(store, "lucy", MSG(2)));
    const c = await LineClient.connect(port);
    await c.line();
    await c.write("USER lucy\r\nPASS pw\r\nSTAT\r\nRETR 1\r\nRETR 2\r\nQUIT\r\n");
    assert.match((await c.line())!, /^\+OK/);
    assert.match((await c.line())!, /^\+OK Logged in/);
    assert.match((await c.line())!, /^\+OK 2 /);
    for (const i of [1, 2]) {
      assert.match((await c.line())!, /^\+OK \d+ octets/);
      let l: string | null;
      const got: string[] = [];
      while ((l = await c.line()) !== ".") got.push(l!);
      assert.ok(got.includes(`Subject: message ${i}`));
    }
    assert.match((await c.line())!, /^\+OK/);
  });
  it("garbage, NUL bytes and overlong lines get -ERR; too many errors close the session", async () => {
    const { port } = await env({ maxErrors: 4 });
    const c = await LineClient.connect(port);
    await c.line();
    await c.write(Uint8Array.of(0x00, 0xff, 0x0d, 0x0a));
    assert.match((await c.line())!, /^-ERR/);
    await c.send("X".repeat(5000));
    assert.match((await c.line())!, /^-ERR Line too long/);
    await c.send("AUTH PLAIN !!!!");
    assert.match((await c.line())!, /^-ERR/);
    await c.send("BOGUS");
    assert.match((await c.line())!, /^-ERR/);
    assert.match((await c.line())!, /Too many errors/);
    assert.equal(await c.closed(), true);
  });
  it("pipelined RETRs are prefetched; nothing the client did not ask to RETR is (POP-15)", async () => {
    const { Pop3Session } = await import("../../src/pop3/session.ts");
    const asked: number[] = [];
    const maildrop = { count: 3, uid: () => "", sizes: async () => [1, 1, 1], open: async () => ({ ok: false as const, detail: "" }), prefetch: (n: number) => asked.push(n), update: async () => 0, close: async () => {} };
    const s = new Pop3Session({ hostname: "h", allowPlainAuthWithoutTls: true, stls: false, maxErrors: 10, implementation: "x" }, { login: async () => ({ ok: true as const, maildrop }) }, { loopback: true, tls: false });
    s.prefetch("RETR 1");
    assert.deepEqual(asked, [], "not before login");
    await s.command("USER u");
    await s.command("PASS p");
    await s.command("DELE 3");
    for (const line of ["RETR 2", "retr 1", "TOP 2 0", "RETR 3", "RETR 4", "RETR 0", "RETR x", "LIST 1"]) s.prefetch(line);
    assert.deepEqual(asked, [2, 1]);
  });
  it("POP-1 without TLS from a non-loopback address USER/AUTH are refused unless configured", async () => {
    const { Pop3Session } = await import("../../src/pop3/session.ts");
    const backend = { login: async () => ({ ok: false as const, reason: "auth" as const, detail: "" }) };
    const s = new Pop3Session({ hostname: "h", allowPlainAuthWithoutTls: false, stls: true, maxErrors: 10, implementation: "x" }, backend, { loopback: false, tls: false });
    const capa = await s.command("CAPA");
    assert.ok(capa.kind === "reply" && !capa.lines.includes("USER") && capa.lines.includes("STLS"));
    const u = await s.command("USER lucy");
    assert.ok(u.kind === "reply" && /^-ERR \[AUTH\]/.test(u.lines[0]!));
    s.tlsStarted();
    const capa2 = await s.command("CAPA");
    assert.ok(capa2.kind === "reply" && capa2.lines.includes("USER") && !capa2.lines.includes("STLS"));
  });
});
