// `im2000 serve` with a "shims" section starts the SMTP submission shim, the list relay and the
// POP3 shim next to the peers, and the whole path works: SMTP in, POP3 out, list relay into a list.

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { hashPassword } from "../../src/peers/auth.ts";
import { PASSWORDS, testConfig } from "../peers/helpers.ts";
import { b64, LineClient } from "../helpers/line-client.ts";
import { spawnTs } from "../helpers/spawn-ts.ts";
import type { ChildProcess } from "../../src/runtime/process.ts";

const CLI = new URL("../../src/cli/im2000.ts", import.meta.url).pathname;

describe("im2000 serve with shims", () => {
  let child: ChildProcess | undefined;
  after(async () => {
    child?.kill("SIGKILL");
    await child?.exited;
  });

  it("starts the shims on their configured addresses; SMTP in, POP3 out, relay into a list; SIGTERM stops everything", async () => {
    const dir = mkdtempSync(join(tmpdir(), "im2000-serve-shims-"));
    const base = (await testConfig()) as unknown as Record<string, unknown>;
    const store = base.store as Record<string, unknown>;
    const config = {
      ...base,
      store: { ...store, accounts: { ...(store.accounts as object), relay: { passwordHash: await hashPassword("relay-pw", { N: 1024, r: 8, p: 1 }) } } },
      shims: {
        hostname: "shim.test",
        submission: { listen: "127.0.0.1:0" },
        relay: { listen: "127.0.0.1:0", listDomains: ["lists.example.org"], gatewayAccount: "relay", gatewayPasswordFile: "relay-secret" },
        pop3: { listen: "127.0.0.1:0", stateDir: "pop3-state" },
      },
    };
    writeFileSync(join(dir, "config.json"), JSON.stringify(config));
    writeFileSync(join(dir, "relay-secret"), "relay-pw\n");
    child = spawnTs(CLI, ["serve", "--data", join(dir, "data"), "--config", join(dir, "config.json")], { ...process.env });
    const m = await child.waitForLine(/im2000 shims ready: submission=127\.0\.0\.1:(\d+) list-relay=127\.0\.0\.1:(\d+) pop3=127\.0\.0\.1:(\d+)/, 30_000);
    const [submission, relay, pop3] = [Number(m[1]), Number(m[2]), Number(m[3])];

    const s = await LineClient.connect(submission);
    assert.match((await s.reply()).text, /^220 shim\.test/);
    await s.cmd("EHLO t");
    assert.equal((await s.cmd(`AUTH PLAIN ${b64(`\0alice\0${PASSWORDS.alice}`)}`)).code, 235);
    await s.cmd("MAIL FROM:<alice@example.net>");
    await s.cmd("RCPT TO:<lucy@example.org>");
    await s.cmd("DATA");
    assert.equal((await s.cmd("Subject: via serve\r\n\r\nhello\r\n.")).code, 250);
    s.close();

    let retrieved = "";
    for (let attempt = 0; attempt < 100 && !retrieved.includes("via serve"); attempt++) {
      const p = await LineClient.connect(pop3);
      await p.line();
      await p.send("USER lucy");
      await p.line();
      await p.send(`PASS ${PASSWORDS.lucy}`);
      assert.match((await p.line())!, /^\+OK/);
      await p.send("RETR 1");
      if ((await p.line())!.startsWith("+OK")) for (let l = await p.line(); l !== "."; l = await p.line()) retrieved += l + "\n";
      await p.send("QUIT");
      await p.line();
      p.close();
      if (!retrieved) await new Promise((r) => setTimeout(r, 50)); // the store notifies asynchronously
    }
    assert.equal(retrieved, "Subject: via serve\n\nhello\n");

    const r = await LineClient.connect(relay);
    await r.reply();
    await r.cmd("EHLO mta.example.com");
    await r.cmd("MAIL FROM:<someone@example.com>");
    assert.equal((await r.cmd("RCPT TO:<announce@lists.example.org>")).code, 250);
    await r.cmd("DATA");
    assert.equal((await r.cmd("Subject: to the list\r\n\r\nhi all\r\n.")).code, 250);
    r.close();

    child.kill("SIGTERM");
    const exit = await child.exited;
    assert.ok(exit.code === 0 || exit.signal === "SIGTERM", JSON.stringify(exit));
    child = undefined;
  });
});
