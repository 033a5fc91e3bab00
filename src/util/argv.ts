// Command-line words → options and operands, shared by the long-option commands (im2000,
// im2000-shim, im2000-conformance). im2000-sendmail parses POSIX-style clustered short options
// and has its own grammar (src/sendmail/options.ts); it shares only UsageError.

/** A mistake on the command line: the command prints it with its usage and exits with status 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface SplitArgs {
  /** In command-line order, repeats kept; a boolean option's value is "". */
  readonly options: readonly (readonly [name: string, value: string])[];
  readonly operands: readonly string[];
}

/**
 * `--name=value` and `--name value` become pairs; names in `booleans` (spelled with their
 * dashes) take no value. Any other word is an operand. Throws UsageError for an option
 * missing its value.
 */
export function splitArgs(argv: readonly string[], booleans: ReadonlySet<string>): SplitArgs {
  const options: (readonly [string, string])[] = [];
  const operands: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("-") || a.length === 1) {
      operands.push(a);
      continue;
    }
    if (booleans.has(a)) {
      options.push([a, ""]);
      continue;
    }
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(0, eq) : a;
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`${name} needs a value`);
    options.push([name, value]);
  }
  return { options, operands };
}
