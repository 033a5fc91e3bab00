// `im2000-sendmail`: the local submission shim as a command (shims §1.6, LOC-*), installed or
// symlinked as `sendmail`. Thin: the real process bound to src/sendmail/main.ts. Started through
// bin/im2000-sendmail, which picks the fastest runtime available. See docs/sendmail.md.

import { args, env, exit, homeDir, hostname, loginName, readStdin, uid, writeStderr, writeStdout } from "../runtime/process.ts";
import { readTextWithInfoSync } from "../runtime/fs.ts";
import { stdioDuplex } from "../runtime/stdio.ts";
import { runSendmail } from "../sendmail/main.ts";

const code = await runSendmail({
  args: args(),
  env,
  loginName,
  homeDir,
  uid,
  hostname,
  readFile: (p) => readTextWithInfoSync(p),
  stdin: readStdin,
  stdio: stdioDuplex,
  stdout: writeStdout,
  stderr: writeStderr,
});
exit(code);
