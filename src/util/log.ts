// One line per event, `key=value` fields, to standard error by default. Callers pass fields, never
// preformatted secrets: the logger has no way to print a password because nobody hands it one
// (GEN-3, im2000 SEC-7).

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  log(level: LogLevel, event: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  with(fields: LogFields): Logger;
}

const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

function fmt(v: string | number | boolean): string {
  const s = String(v);
  return /^[\w.:@/+\-[\]]+$/.test(s) ? s : JSON.stringify(s);
}

export function createLogger(sink: (line: string) => void, minLevel: LogLevel = "info", base: LogFields = {}): Logger {
  const make = (fixed: LogFields): Logger => ({
    log(level, event, fields) {
      if (order[level] < order[minLevel]) return;
      let line = `${new Date().toISOString()} ${level} ${event}`;
      for (const src of [fixed, fields ?? {}]) for (const [k, v] of Object.entries(src)) if (v !== undefined) line += ` ${k}=${fmt(v)}`;
      sink(line);
    },
    with(fields) {
      return make({ ...fixed, ...fields });
    },
  });
  return make(base);
}

/** Discards everything (tests, conformance runs). */
export const silentLogger: Logger = { log() {}, with: () => silentLogger };

/** Shortened identifier for logs: never the whole capability (SEC-7). */
export function idForLog(id: Uint8Array): string {
  let s = "";
  for (let i = 0; i < Math.min(4, id.byteLength); i++) s += id[i]!.toString(16).padStart(2, "0");
  return s + "…";
}
