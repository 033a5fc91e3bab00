// Where the message store is and whom to authenticate as (shims LOC-3, LOC-4), from three layers,
// each overriding the one before:
//   1. the system-wide file (default /etc/im2000/sendmail.conf; IM2000_SENDMAIL_CONF moves it),
//   2. the user's own file (default ~/.im2000-sendmail; IM2000_SENDMAIL_USER_CONF moves it),
//   3. environment variables (IM2000_MSOAP, IM2000_ACCOUNT, IM2000_PASSWORD, … below).
// The account defaults to the login name [S: "from the local user account"].
//
// Files hold `key = value` lines; `#` starts a comment line; a value may be double-quoted (with
// \" and \\ inside) to keep leading or trailing spaces. An unknown key is an error, so a typo
// cannot silently drop a setting.
//
// Secrets: the user's file must be a regular file owned by the user and neither readable nor
// writable by group or others; a system-wide file that holds a password must not be readable by
// others, and no configuration file may be writable by others (anyone could send everybody's
// mail, password included, to a store of their choosing). Each refusal is exit 77 with the fix
// in the message (LOC-3, LOC-5). A file that cannot be read, or a bad value, is exit 78.

import { parseEndpoint, endpointToString, type Endpoint } from "../im2000/endpoint.ts";
import { EX, SendmailFailure } from "./exit-status.ts";

export interface SendmailConfig {
  /** The message store's MSOAP service (host:port, or a domain located by SRV, im2000 §11). */
  readonly store: Endpoint;
  /** Connect with TLS (`_msoaps` for a domain). */
  readonly tls: boolean;
  /** PEM file of CAs to trust for the store's certificate (default: the system's). */
  readonly tlsTrustFile: string | undefined;
  readonly account: string;
  /** undefined: submit without authenticating (a store that allows anonymous submission). */
  readonly password: string | undefined;
  /** Qualifies recipients written without a domain. */
  readonly defaultDomain: string | undefined;
  /** MSOAP lifetime of submitted messages, seconds (as SUB-8: default 30 days). */
  readonly lifetimeSeconds: number;
  readonly maxMessageSize: number;
  readonly maxRecipients: number;
  /** Connect timeout and longest wait for each answer from the store. */
  readonly timeoutMs: number;
  /** Where each setting came from, for -v (never the password itself). */
  readonly origins: Readonly<Record<string, string>>;
}

/** What loading needs from the process and the file system (injected by tests). */
export interface ConfigSources {
  env(name: string): string | undefined;
  loginName(): string;
  homeDir(): string;
  /** -1 where there are no user ids. */
  uid(): number;
  /** The file's text and the facts of the file that was read; undefined if absent; throws with `code`. */
  readFile(path: string): { text: string; info: { mode: number; uid: number; isFile: boolean } } | undefined;
}

export const SYSTEM_CONFIG = "/etc/im2000/sendmail.conf";
export const USER_CONFIG = ".im2000-sendmail";

export const DEFAULTS = {
  lifetimeSeconds: 2_592_000, // ref: shims SUB-8 (30 days)
  maxMessageSize: 25 * 1024 * 1024,
  maxRecipients: 100, // ref: shims SUB-6
  timeoutSeconds: 120,
} as const;

interface Setting {
  readonly env: string;
  /** Holds a secret: the file it is in must not be readable by others. */
  readonly secret?: boolean;
}

const SETTINGS: Readonly<Record<string, Setting>> = {
  store: { env: "IM2000_MSOAP" },
  tls: { env: "IM2000_MSOAP_TLS" },
  tls_trust_file: { env: "IM2000_MSOAP_TLS_TRUST_FILE" },
  account: { env: "IM2000_ACCOUNT" },
  password: { env: "IM2000_PASSWORD", secret: true },
  default_domain: { env: "IM2000_DEFAULT_DOMAIN" },
  lifetime: { env: "IM2000_LIFETIME_S" },
  max_message_size: { env: "IM2000_MAX_MESSAGE_SIZE" },
  max_recipients: { env: "IM2000_MAX_RECIPIENTS" },
  timeout: { env: "IM2000_SENDMAIL_TIMEOUT_S" },
};

/** Parses one file's text into key → value. Throws SendmailFailure(78) naming file and line. */
export function parseConfigText(text: string, file: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new SendmailFailure(EX.CONFIG, `${file}:${n + 1}: expected "key = value"`);
    const key = m[1]!.toLowerCase();
    if (SETTINGS[key] === undefined) throw new SendmailFailure(EX.CONFIG, `${file}:${n + 1}: unknown setting "${m[1]}" (known: ${Object.keys(SETTINGS).join(", ")})`);
    let value = m[2]!;
    if (value.startsWith('"')) {
      const q = /^"((?:[^"\\]|\\.)*)"$/.exec(value);
      if (!q) throw new SendmailFailure(EX.CONFIG, `${file}:${n + 1}: unterminated quoted value`);
      value = q[1]!.replace(/\\(.)/g, "$1");
    }
    out.set(key, value);
  }
  return out;
}

function octal(mode: number): string {
  return "0" + (mode & 0o777).toString(8).padStart(3, "0");
}

function readLayer(src: ConfigSources, path: string, personal: boolean): Map<string, string> | undefined {
  let got: ReturnType<ConfigSources["readFile"]>;
  try {
    got = src.readFile(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === "EACCES" ? "permission denied" : code === "EISDIR" ? "it is a directory" : ((e as Error).message ?? String(e));
    throw new SendmailFailure(EX.CONFIG, `cannot read ${path}: ${why}`);
  }
  if (got === undefined) return undefined;
  const { info } = got;
  if (!info.isFile) throw new SendmailFailure(EX.CONFIG, `${path} is not a regular file`);
  // ref: shims LOC-3 — configuration that can carry a password is refused when others can read
  // it, and any configuration others can change is refused outright.
  if ((info.mode & 0o002) !== 0) throw new SendmailFailure(EX.NOPERM, `${path} is writable by others (mode ${octal(info.mode)}); refusing it: chmod o-w ${path}`);
  if (personal) {
    const me = src.uid();
    if (me >= 0 && info.uid !== me) throw new SendmailFailure(EX.NOPERM, `${path} belongs to uid ${info.uid}, not to you (uid ${me}); refusing it`);
    if ((info.mode & 0o066) !== 0) throw new SendmailFailure(EX.NOPERM, `${path} is readable or writable by group or others (mode ${octal(info.mode)}); it may hold your password, so it is refused: chmod 600 ${path}`);
  }
  const values = parseConfigText(got.text, path);
  if (!personal && (info.mode & 0o004) !== 0) {
    for (const [k] of values) {
      if (SETTINGS[k]!.secret) throw new SendmailFailure(EX.NOPERM, `${path} holds a ${k} and is readable by others (mode ${octal(info.mode)}); refusing it: chmod o-r ${path}, or keep the ${k} in each user's ~/${USER_CONFIG}`);
    }
  }
  return values;
}

function positiveInt(v: string, key: string, origin: string): number {
  if (!/^\d{1,15}$/.test(v.trim()) || Number(v) <= 0) throw new SendmailFailure(EX.CONFIG, `${origin}: ${key} must be a positive whole number, not ${JSON.stringify(v)}`);
  return Number(v);
}

function bool(v: string, key: string, origin: string): boolean {
  if (/^(yes|on|true|1)$/i.test(v.trim())) return true;
  if (/^(no|off|false|0)$/i.test(v.trim())) return false;
  throw new SendmailFailure(EX.CONFIG, `${origin}: ${key} must be yes or no, not ${JSON.stringify(v)}`);
}

/** The three layers merged. Throws SendmailFailure (77 unsafe file, 78 configuration error). */
export function loadConfig(src: ConfigSources): SendmailConfig {
  const values = new Map<string, { value: string; origin: string }>();
  const systemPath = src.env("IM2000_SENDMAIL_CONF") || SYSTEM_CONFIG;
  const userPath = src.env("IM2000_SENDMAIL_USER_CONF") || `${src.homeDir().replace(/\/$/, "")}/${USER_CONFIG}`;
  for (const [path, personal] of [[systemPath, false], [userPath, true]] as const) {
    const layer = readLayer(src, path, personal);
    for (const [k, v] of layer ?? []) values.set(k, { value: v, origin: path });
  }
  for (const [k, s] of Object.entries(SETTINGS)) {
    const v = src.env(s.env);
    if (v !== undefined && v !== "") values.set(k, { value: v, origin: `$${s.env}` });
  }
  const get = (k: string) => values.get(k);
  const origins: Record<string, string> = {};
  for (const [k, v] of values) origins[k] = v.origin;

  const store = get("store");
  if (store === undefined) {
    throw new SendmailFailure(EX.CONFIG, `no message store configured: set "store" (host:port or a domain) in ${systemPath} or ${userPath}, or IM2000_MSOAP`);
  }
  let endpoint: Endpoint;
  try {
    endpoint = parseEndpoint(store.value, "msoap");
  } catch (e) {
    throw new SendmailFailure(EX.CONFIG, `${store.origin}: store ${JSON.stringify(store.value)} is not host:port or a domain: ${(e as Error).message}`);
  }
  const account = get("account")?.value ?? src.loginName(); // ref: shims LOC-3
  if (account === "") throw new SendmailFailure(EX.CONFIG, `no account: the login name is unknown; set "account" in ${userPath} or IM2000_ACCOUNT`);
  const num = (k: string, def: number) => {
    const v = get(k);
    return v === undefined ? def : positiveInt(v.value, k, v.origin);
  };
  const tls = get("tls");
  const domain = get("default_domain");
  if (domain !== undefined && !/^[A-Za-z0-9\u0080-\uffff]([A-Za-z0-9\-\u0080-\uffff]*[A-Za-z0-9\u0080-\uffff])?(\.[A-Za-z0-9\u0080-\uffff]([A-Za-z0-9\-\u0080-\uffff]*[A-Za-z0-9\u0080-\uffff])?)*$/.test(domain.value)) {
    throw new SendmailFailure(EX.CONFIG, `${domain.origin}: default_domain ${JSON.stringify(domain.value)} is not a domain`);
  }
  return {
    store: endpoint,
    tls: tls === undefined ? false : bool(tls.value, "tls", tls.origin),
    tlsTrustFile: get("tls_trust_file")?.value,
    account,
    password: get("password")?.value,
    defaultDomain: domain?.value,
    lifetimeSeconds: num("lifetime", DEFAULTS.lifetimeSeconds),
    maxMessageSize: num("max_message_size", DEFAULTS.maxMessageSize),
    maxRecipients: num("max_recipients", DEFAULTS.maxRecipients),
    timeoutMs: num("timeout", DEFAULTS.timeoutSeconds) * 1000,
    origins,
  };
}

/** The settings in effect, for -v (the password is never shown). */
export function describeConfig(c: SendmailConfig): string[] {
  const o = (k: string) => (c.origins[k] !== undefined ? ` (from ${c.origins[k]})` : " (default)");
  return [
    `store ${endpointToString(c.store)}${c.tls ? " over TLS" : ""}${o("store")}`,
    `account ${c.account}${c.origins.account !== undefined ? o("account") : " (the login name)"}; ${c.password !== undefined ? `password set${o("password")}` : "no password: submitting without authenticating"}`,
  ];
}
