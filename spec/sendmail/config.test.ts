// loadConfig: three layers (system-wide file, the user's file, the environment), each winning in
// turn (shims LOC-4); the account defaults to the login name and secrets are refused in files
// others can read (LOC-3); refusals and errors map to 77 and 78 (LOC-5). A file the user cannot
// read is tested with the real process, as an unprivileged user (process.test.ts).

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readTextWithInfoSync } from "../../src/runtime/fs.ts";
import { uid } from "../../src/runtime/process.ts";
import { loadConfig, parseConfigText, type ConfigSources } from "../../src/sendmail/config.ts";
import { failure, tempDir, writeConfig } from "./helpers.ts";

const dirs: string[] = [];
function dir(): string {
  const d = tempDir("im2000-sendmail-config-");
  dirs.push(d);
  return d;
}

function sources(d: string, env: Record<string, string> = {}, login = "lucy", myUid = uid()): ConfigSources {
  const e: Record<string, string> = { IM2000_SENDMAIL_CONF: join(d, "system.conf"), IM2000_SENDMAIL_USER_CONF: join(d, "user.conf"), ...env };
  return { env: (n) => e[n], loginName: () => login, homeDir: () => d, uid: () => myUid, readFile: (p) => readTextWithInfoSync(p) };
}

describe("loadConfig", () => {
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("LOC-4 each layer wins in turn: system-wide file, then the user's file, then the environment", () => {
    const d = dir();
    writeConfig(join(d, "system.conf"), { store: "store.example", default_domain: "example.org", lifetime: "100" }, 0o644);
    let c = loadConfig(sources(d));
    assert.deepEqual(c.store, { kind: "domain", domain: "store.example" });
    assert.equal(c.lifetimeSeconds, 100);
    assert.equal(c.origins.store, join(d, "system.conf"));

    writeConfig(join(d, "user.conf"), { store: "127.0.0.1:9000", lifetime: "200" }, 0o600);
    c = loadConfig(sources(d));
    assert.deepEqual(c.store, { kind: "address", host: "127.0.0.1", port: 9000 });
    assert.equal(c.lifetimeSeconds, 200);
    assert.equal(c.defaultDomain, "example.org", "settings the user's file leaves out still come from the system file");

    c = loadConfig(sources(d, { IM2000_MSOAP: "[::1]:9001", IM2000_LIFETIME_S: "300" }));
    assert.deepEqual(c.store, { kind: "address", host: "::1", port: 9001 });
    assert.equal(c.lifetimeSeconds, 300);
    assert.equal(c.origins.store, "$IM2000_MSOAP");
  });

  it("LOC-3 the account defaults to the login name; the user's file or IM2000_ACCOUNT override it", () => {
    const d = dir();
    writeConfig(join(d, "system.conf"), { store: "127.0.0.1:1" }, 0o644);
    assert.equal(loadConfig(sources(d, {}, "lucy")).account, "lucy");
    writeConfig(join(d, "user.conf"), { account: "alice", password: "pw" }, 0o600);
    const c = loadConfig(sources(d, {}, "lucy"));
    assert.equal(c.account, "alice");
    assert.equal(c.password, "pw");
    assert.equal(loadConfig(sources(d, { IM2000_ACCOUNT: "bob", IM2000_PASSWORD: "env-pw" })).password, "env-pw");
  });

  it("LOC-3 a user's file readable by group or others is refused (77) with the fix; 0600 works", () => {
    const d = dir();
    writeConfig(join(d, "system.conf"), { store: "127.0.0.1:1" }, 0o644);
    for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602]) {
      writeConfig(join(d, "user.conf"), { password: "pw" }, mode);
      const f = failure(() => loadConfig(sources(d)));
      assert.equal(f.exitCode, 77, `mode ${mode.toString(8)}`);
      assert.match(f.message, /chmod/);
    }
    writeConfig(join(d, "user.conf"), { password: "pw" }, 0o600);
    assert.equal(loadConfig(sources(d)).password, "pw");
    writeConfig(join(d, "user.conf"), { password: "pw" }, 0o400);
    assert.equal(loadConfig(sources(d)).password, "pw");
  });

  it("LOC-3 a user's file that belongs to someone else is refused (77)", () => {
    const d = dir();
    writeConfig(join(d, "user.conf"), { store: "127.0.0.1:1" }, 0o600);
    const f = failure(() => loadConfig(sources(d, {}, "lucy", uid() + 4242)));
    assert.equal(f.exitCode, 77);
    assert.match(f.message, /belongs to uid/);
  });

  it("LOC-3 a system-wide file may be world-readable, unless it holds a password (77); writable by others is refused", () => {
    const d = dir();
    writeConfig(join(d, "system.conf"), { store: "127.0.0.1:1", password: "shared" }, 0o644);
    assert.equal(failure(() => loadConfig(sources(d))).exitCode, 77);
    writeConfig(join(d, "system.conf"), { store: "127.0.0.1:1", password: "shared" }, 0o640);
    assert.equal(loadConfig(sources(d)).password, "shared", "group-readable (a mail group) is allowed");
    writeConfig(join(d, "system.conf"), { store: "127.0.0.1:1" }, 0o646);
    assert.match(failure(() => loadConfig(sources(d))).message, /writable by others/);
  });

  it("LOC-5 a directory where a file should be, unknown settings and bad values are 78, naming file and line", () => {
    const d = dir();
    mkdirSync(join(d, "user.conf"));
    assert.equal(failure(() => loadConfig(sources(d))).exitCode, 78);
    rmSync(join(d, "user.conf"), { recursive: true });
    writeFileSync(join(d, "system.conf"), "store = 127.0.0.1:1\n\n# comment\nstroe = x\n");
    chmodSync(join(d, "system.conf"), 0o644);
    const f = failure(() => loadConfig(sources(d)));
    assert.equal(f.exitCode, 78);
    assert.match(f.message, /system\.conf:4: unknown setting "stroe"/);
    writeConfig(join(d, "system.conf"), { store: "127.0.0.1:1", lifetime: "ten" }, 0o644);
    assert.match(failure(() => loadConfig(sources(d))).message, /lifetime must be a positive whole number/);
    writeConfig(join(d, "system.conf"), { store: "127.0.0.1:99999" }, 0o644);
    assert.equal(failure(() => loadConfig(sources(d))).exitCode, 78);
  });

  it("LOC-5 no store anywhere is 78 and names the places to set it", () => {
    const d = dir();
    const f = failure(() => loadConfig(sources(d)));
    assert.equal(f.exitCode, 78);
    assert.match(f.message, /IM2000_MSOAP/);
  });

  it("parseConfigText: quoted values keep spaces and escapes; '#' inside a value is not a comment", () => {
    const m = parseConfigText('password = "  sp \\"q\\" \\\\ "\naccount=x#y\n  # note\n', "f");
    assert.equal(m.get("password"), '  sp "q" \\ ');
    assert.equal(m.get("account"), "x#y");
    assert.throws(() => parseConfigText('password = "open\n', "f"), /f:1: unterminated/);
  });
});
