// Recorded real-client sessions (fixtures/sessions/<suite>/<client>.session): what a real mail
// client sent, and what kind of answer it got, in a C:/S: format that any conforming shim can be
// held to. Client lines are kept verbatim except for placeholders; server lines keep only what
// every conforming server must agree on — the reply code (a set of acceptable codes), and for
// POP3 whether a multi-line body follows (and for RETR, which message it must be) — because
// conforming servers differ in wording.
//
//   # id: smtp-submission/replay/swaks
//   # client: swaks 20240103.0
//   # level: MUST
//   # ref: shims SUB-2, SUB-4; RFC 5321 §4.1
//   # requirement: swaks's submission with AUTH PLAIN goes through and reaches the store once.
//   # setup: messages 2             (pop3: notifications waiting at the fake RNA)
//   # expect: committed 1           (after the session: committed / unpinned / silenced counts)
//   S: 220
//   C: EHLO client.example
//   S: 250
//   C: AUTH PLAIN {b64:plain}
//   S: 235
//   C: MAIL FROM:<{sender}>
//   C: RCPT TO:<{rcpt}>              consecutive C: lines were sent in one go (pipelined)
//   S: 250
//   S: 250|251                       a set of acceptable codes; 2xx accepts the class
//   S: +OK [message 1]               POP3: status, then the body of message 1, byte for byte
//   S: +OK [multi]                   POP3: status, then some multi-line body
//
// Placeholders (client lines): {account} {password} {b64:account} {b64:password} {b64:plain}
// (\0account\0password) {b64:plain-authzid} (account\0account\0password) {sender} {rcpt}
// {rcpt2}… {list} {list2}… — credentials are never stored, only their placeholders.

export interface SessionHeader {
  readonly id: string;
  readonly client: string;
  readonly level: "MUST" | "SHOULD" | "MAY";
  readonly ref: string;
  readonly requirement: string;
  /** pop3: notifications waiting at login. */
  readonly messages: number;
  /** Checks on the fake peers after the session, e.g. { committed: 1 }. */
  readonly expect: Readonly<Record<string, number>>;
}

export type SessionStep =
  | { readonly kind: "send"; readonly lines: readonly string[]; readonly at: number }
  | { readonly kind: "expect"; readonly codes: readonly string[]; readonly body?: "multi" | { readonly message: number }; readonly at: number };

export interface SessionFile {
  readonly header: SessionHeader;
  readonly steps: readonly SessionStep[];
}

export class SessionSyntaxError extends Error {
  override readonly name = "SessionSyntaxError";
}

const CODE = /^(?:\d{3}|[2345]xx|\+OK|-ERR|\+)$/;

/** Parses a session file; `source` names it in errors. */
export function parseSession(text: string, source: string): SessionFile {
  const h: Record<string, string> = {};
  const steps: SessionStep[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, "");
    const at = i + 1;
    if (raw.trim() === "") continue;
    if (raw.startsWith("#")) {
      const m = /^#\s*([a-z-]+):\s*(.*)$/.exec(raw);
      if (m !== null) h[m[1]!] = h[m[1]!] === undefined ? m[2]! : `${h[m[1]!]} ${m[2]!}`;
      continue;
    }
    if (raw.startsWith("C: ") || raw === "C:") {
      const line = raw.slice(3);
      const last = steps[steps.length - 1];
      if (last?.kind === "send") steps[steps.length - 1] = { ...last, lines: [...last.lines, line] };
      else steps.push({ kind: "send", lines: [line], at });
      continue;
    }
    if (raw.startsWith("S: ")) {
      const m = /^S: (\S+)(?:\s+\[(multi|message (\d+))\])?\s*$/.exec(raw);
      const codes = m?.[1]?.split("|") ?? [];
      if (m === null || codes.length === 0 || !codes.every((c) => CODE.test(c))) throw new SessionSyntaxError(`${source}:${at}: "S:" needs reply codes (250, 250|251, 2xx, +OK, -ERR, +), optionally [multi] or [message N]`);
      steps.push({ kind: "expect", codes, body: m[2] === undefined ? undefined : m[3] !== undefined ? { message: Number(m[3]) } : "multi", at });
      continue;
    }
    throw new SessionSyntaxError(`${source}:${at}: a line starts with "C: ", "S: " or "#"`);
  }
  for (const k of ["id", "client", "level", "ref", "requirement"]) if (h[k] === undefined) throw new SessionSyntaxError(`${source}: the header lacks "# ${k}:"`);
  if (!["MUST", "SHOULD", "MAY"].includes(h.level!)) throw new SessionSyntaxError(`${source}: level is MUST, SHOULD or MAY`);
  const expect: Record<string, number> = {};
  for (const part of (h.expect ?? "").split(",").map((x) => x.trim()).filter(Boolean)) {
    const m = /^(committed|unpinned|silenced)\s+(\d+)$/.exec(part);
    if (m === null) throw new SessionSyntaxError(`${source}: "# expect:" takes "committed N", "unpinned N" or "silenced N", comma-separated`);
    expect[m[1]!] = Number(m[2]);
  }
  const messages = /^messages\s+(\d+)$/.exec(h.setup ?? "")?.[1];
  return {
    header: { id: h.id!, client: h.client!, level: h.level as SessionHeader["level"], ref: h.ref!, requirement: h.requirement!, messages: messages === undefined ? 0 : Number(messages), expect },
    steps,
  };
}

export function formatSession(f: SessionFile, note: string[] = []): string {
  const h = f.header;
  const out = [`# id: ${h.id}`, `# client: ${h.client}`, `# level: ${h.level}`, `# ref: ${h.ref}`, `# requirement: ${h.requirement}`];
  if (h.messages > 0) out.push(`# setup: messages ${h.messages}`);
  const ex = Object.entries(h.expect).map(([k, v]) => `${k} ${v}`);
  if (ex.length > 0) out.push(`# expect: ${ex.join(", ")}`);
  for (const n of note) out.push(`# ${n}`);
  for (const s of f.steps) {
    if (s.kind === "send") for (const l of s.lines) out.push(`C: ${l}`);
    else out.push(`S: ${s.codes.join("|")}${s.body === undefined ? "" : s.body === "multi" ? " [multi]" : ` [message ${s.body.message}]`}`);
  }
  return `${out.join("\n")}\n`;
}

/** Values the placeholders of one replay stand for. */
export interface Bindings {
  readonly account: string;
  readonly password: string;
  readonly sender: string;
  readonly rcpts: readonly string[];
  readonly lists: readonly string[];
}

function b64(s: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(s)));
}

/** The placeholder table, longest values first (so substitution when recording is unambiguous). */
export function placeholderTable(b: Bindings): [string, string][] {
  const t: [string, string][] = [
    ["{b64:plain-authzid}", b64(`${b.account}\0${b.account}\0${b.password}`)],
    ["{b64:plain}", b64(`\0${b.account}\0${b.password}`)],
    ["{b64:password}", b64(b.password)],
    ["{b64:account}", b64(b.account)],
    ["{sender}", b.sender],
    ...b.rcpts.map((r, i): [string, string] => [i === 0 ? "{rcpt}" : `{rcpt${i + 1}}`, r]),
    ...b.lists.map((r, i): [string, string] => [i === 0 ? "{list}" : `{list${i + 1}}`, r]),
    ["{password}", b.password],
    ["{account}", b.account],
  ];
  return t.filter(([, v]) => v !== "").sort((x, y) => y[1].length - x[1].length);
}

/** Client line with placeholders filled in. */
export function fill(line: string, b: Bindings): string {
  let out = line;
  for (const [k, v] of placeholderTable(b)) out = out.split(k).join(v);
  return out;
}

/** Client line with recorded values replaced by placeholders (credentials never reach a file). */
export function redact(line: string, b: Bindings): string {
  let out = line;
  for (const [k, v] of placeholderTable(b)) out = out.split(v).join(k);
  return out;
}
