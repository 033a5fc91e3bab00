// Suite `pop3`: shims.md §2.3 (POP-*) and GEN-* observed from outside (shims §3), plus RFC 1939,
// 2449, 2595, 3206 and 5034 behaviour. One file per group of requirements.

import { loginCases } from "./login.ts";
import { maildropCases } from "./maildrop.ts";
import { updateCases } from "./update.ts";
import { rfcCases } from "./rfc.ts";

export { popMessage } from "./common.ts";

export const pop3Cases = [...loginCases, ...maildropCases, ...updateCases, ...rfcCases];
