// SMTP replies (RFC 5321 §4.2) with enhanced status codes (RFC 2034, RFC 3463).

export interface Reply {
  readonly code: number;
  /** Enhanced status code ("5.7.1"), omitted in greetings, EHLO/HELO replies and 3xx. */
  readonly enhanced?: string;
  readonly lines: readonly string[];
}

export function reply(code: number, enhanced: string | undefined, ...lines: string[]): Reply {
  return { code, enhanced, lines: lines.length > 0 ? lines : [""] };
}

/**
 * Wire lines for a reply: `250-first`, …, `250 last`, each with the enhanced code. An empty AUTH
 * challenge is `334 ` with its space (RFC 4954 §4): GNU SASL clients refuse a bare `334`.
 */
export function formatReply(r: Reply): string[] {
  const prefix = r.enhanced ? `${r.enhanced} ` : "";
  return r.lines.map((l, i) => `${r.code}${i === r.lines.length - 1 ? " " : "-"}${prefix}${l}`);
}

export const isPermanent = (r: Reply): boolean => r.code >= 500;
export const isTemporary = (r: Reply): boolean => r.code >= 400 && r.code < 500;
