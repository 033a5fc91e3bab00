// RFC 5322 address lists (§3.4, with the obsolete forms of §4.4 that real headers still carry):
// mailboxes with or without display names, groups (`undisclosed-recipients:;`), quoted strings,
// comments (nested, with quoted pairs), domain literals, source routes, empty list elements, and
// UTF-8 text (RFC 6532). Used by `sendmail -t` (shims LOC-2) to take recipients from To/Cc/Bcc and
// by the command line, whose arguments are address lists too (as sendmail parses them).
//
// The input is an unfolded field body (CRLF+WSP removed). Parsing is complete before anything
// acts on the result; a malformed list is an AddressSyntaxError with the offset of the trouble.
// Work is linear in the input: one tokenizer pass, one parser pass, no backtracking beyond one
// phrase.

export interface ParsedAddress {
  /** The local part with quoting removed. */
  readonly localpart: string;
  /** The domain as written (a domain literal keeps its brackets); undefined for a bare local part. */
  readonly domain: string | undefined;
  /** The display name (phrase words joined by single spaces, quotes removed), if any. */
  readonly displayName?: string;
  /** The group this mailbox was listed in, if any. */
  readonly group?: string;
}

export class AddressSyntaxError extends Error {
  override readonly name = "AddressSyntaxError";
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} at offset ${offset}`);
    this.offset = offset;
  }
}

export interface AddressListOptions {
  /**
   * Accept a local part without "@domain" (`To: root`, `sendmail lucy`): sendmail qualifies such
   * names with a default domain. Default false (RFC 5322 requires the domain).
   */
  readonly allowBareLocalPart?: boolean;
  /** Most nested comments accepted; default 16. */
  readonly maxCommentDepth?: number;
}

type Token =
  | { readonly kind: "atom"; readonly text: string; readonly at: number }
  | { readonly kind: "quoted"; readonly text: string; readonly at: number }
  | { readonly kind: "literal"; readonly text: string; readonly at: number }
  | { readonly kind: "special"; readonly text: string; readonly at: number };

// atext (RFC 5322 §3.2.3) plus any non-ASCII character (RFC 6532 §3.2).
const ATEXT = /[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\uffff]/;
const SPECIALS = "<>@,;:.[]";

function tokenize(s: string, maxDepth: number): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === " " || c === "\t" || c === "\r" || c === "\n") {
      i++;
    } else if (c === "(") {
      // A comment: skipped entirely (it never carries an address). ref: rfc5322#3.2.2
      const start = i;
      let depth = 0;
      for (;;) {
        if (i >= s.length) throw new AddressSyntaxError("unterminated comment", start);
        const d = s[i]!;
        if (d === "\\") i += 2;
        else {
          if (d === "(") {
            depth++;
            if (depth > maxDepth) throw new AddressSyntaxError("comments nested too deeply", i);
          } else if (d === ")") depth--;
          i++;
          if (depth === 0) break;
        }
      }
    } else if (c === '"') {
      const start = i;
      let text = "";
      i++;
      for (;;) {
        if (i >= s.length) throw new AddressSyntaxError("unterminated quoted string", start);
        const d = s[i]!;
        if (d === "\\") {
          if (i + 1 >= s.length) throw new AddressSyntaxError("unterminated quoted string", start);
          text += s[i + 1];
          i += 2;
        } else if (d === '"') {
          i++;
          break;
        } else {
          text += d;
          i++;
        }
      }
      out.push({ kind: "quoted", text, at: start });
    } else if (c === "[") {
      const start = i;
      const end = s.indexOf("]", i);
      if (end < 0) throw new AddressSyntaxError("unterminated domain literal", start);
      const inner = s.slice(i + 1, end);
      if (/[\[\\]/.test(inner)) throw new AddressSyntaxError("bad domain literal", start);
      out.push({ kind: "literal", text: `[${inner.replace(/\s+/g, "")}]`, at: start });
      i = end + 1;
    } else if (SPECIALS.includes(c)) {
      out.push({ kind: "special", text: c, at: i });
      i++;
    } else if (ATEXT.test(c)) {
      const start = i;
      while (i < s.length && ATEXT.test(s[i]!)) i++;
      out.push({ kind: "atom", text: s.slice(start, i), at: start });
    } else {
      throw new AddressSyntaxError(`unexpected character ${JSON.stringify(c)}`, i);
    }
  }
  return out;
}

class Parser {
  readonly #t: Token[];
  readonly #end: number;
  readonly #bare: boolean;
  #i = 0;

  constructor(tokens: Token[], inputLength: number, bare: boolean) {
    this.#t = tokens;
    this.#end = inputLength;
    this.#bare = bare;
  }

  #peek(k = 0): Token | undefined {
    return this.#t[this.#i + k];
  }

  #at(): number {
    return this.#peek()?.at ?? this.#end;
  }

  #isSpecial(tok: Token | undefined, text: string): boolean {
    return tok?.kind === "special" && tok.text === text;
  }

  #expect(text: string, what: string): void {
    if (!this.#isSpecial(this.#peek(), text)) throw new AddressSyntaxError(`expected ${what}`, this.#at());
    this.#i++;
  }

  /** address-list, with empty elements allowed (obs-addr-list). */
  list(): ParsedAddress[] {
    const out: ParsedAddress[] = [];
    while (this.#i < this.#t.length) {
      if (this.#isSpecial(this.#peek(), ",")) {
        this.#i++;
        continue;
      }
      this.#address(out);
      if (this.#i < this.#t.length) this.#expect(",", '"," between addresses');
    }
    return out;
  }

  /** A phrase: words (atoms, quoted strings) and obs-phrase dots. Returns undefined when empty. */
  #phrase(): string | undefined {
    const words: string[] = [];
    for (;;) {
      const tok = this.#peek();
      if (tok?.kind === "atom" || tok?.kind === "quoted") words.push(tok.text);
      else if (words.length > 0 && this.#isSpecial(tok, ".")) words.push(".");
      else break;
      this.#i++;
    }
    return words.length > 0 ? words.join(" ").replace(/ \. /g, ". ").replace(/ \.$/, ".") : undefined;
  }

  #address(out: ParsedAddress[]): void {
    const start = this.#i;
    const phrase = this.#phrase();
    const next = this.#peek();
    if (this.#isSpecial(next, "<")) {
      out.push(this.#angle(phrase));
      return;
    }
    if (phrase !== undefined && this.#isSpecial(next, ":")) {
      this.#group(phrase, out);
      return;
    }
    // Neither: it was the start of an addr-spec. Re-read it as one.
    this.#i = start;
    out.push(this.#addrSpec(undefined, undefined));
  }

  #angle(displayName: string | undefined, group?: string): ParsedAddress {
    this.#expect("<", '"<"');
    // obs-route: "@a,@b:" before the address, ignored (RFC 5322 §4.4).
    if (this.#isSpecial(this.#peek(), "@")) {
      while (this.#isSpecial(this.#peek(), "@") || this.#isSpecial(this.#peek(), ",")) {
        if (this.#isSpecial(this.#peek(), ",")) {
          this.#i++;
          continue;
        }
        this.#i++;
        this.#domain();
      }
      this.#expect(":", '":" after a source route');
    }
    const a = this.#addrSpec(displayName, group);
    this.#expect(">", '">"');
    return a;
  }

  #group(name: string, out: ParsedAddress[]): void {
    this.#expect(":", '":"');
    while (!this.#isSpecial(this.#peek(), ";")) {
      if (this.#i >= this.#t.length) throw new AddressSyntaxError('expected ";" to end the group', this.#end);
      if (this.#isSpecial(this.#peek(), ",")) {
        this.#i++;
        continue;
      }
      const start = this.#i;
      const phrase = this.#phrase();
      if (this.#isSpecial(this.#peek(), "<")) out.push(this.#angle(phrase, name));
      else {
        this.#i = start;
        out.push(this.#addrSpec(undefined, name));
      }
      if (!this.#isSpecial(this.#peek(), ";")) this.#expect(",", '"," or ";" in the group');
    }
    this.#i++; // ";"
  }

  /** local-part ["@" domain]; words joined by dots (dot-atom or obs-local-part). */
  #addrSpec(displayName: string | undefined, group: string | undefined): ParsedAddress {
    const at = this.#at();
    let local = "";
    for (;;) {
      const tok = this.#peek();
      if (tok?.kind !== "atom" && tok?.kind !== "quoted") throw new AddressSyntaxError("expected a local part", this.#at());
      local += tok.text;
      this.#i++;
      if (!this.#isSpecial(this.#peek(), ".")) break;
      local += ".";
      this.#i++;
    }
    let domain: string | undefined;
    if (this.#isSpecial(this.#peek(), "@")) {
      this.#i++;
      domain = this.#domain();
    } else if (!this.#bare) {
      throw new AddressSyntaxError(`address ${JSON.stringify(local)} has no domain`, at);
    }
    return { localpart: local, domain, ...(displayName !== undefined ? { displayName } : {}), ...(group !== undefined ? { group } : {}) };
  }

  #domain(): string {
    const tok = this.#peek();
    if (tok?.kind === "literal") {
      this.#i++;
      return tok.text;
    }
    let d = "";
    for (;;) {
      const t = this.#peek();
      if (t?.kind !== "atom") throw new AddressSyntaxError("expected a domain", this.#at());
      d += t.text;
      this.#i++;
      if (!this.#isSpecial(this.#peek(), ".")) break;
      d += ".";
      this.#i++;
    }
    return d;
  }
}

/** Parses an unfolded address-list field body (To, Cc, Bcc, Resent-*). Throws AddressSyntaxError. */
export function parseAddressList(text: string, opts: AddressListOptions = {}): ParsedAddress[] {
  const tokens = tokenize(text, opts.maxCommentDepth ?? 16);
  return new Parser(tokens, text.length, opts.allowBareLocalPart ?? false).list();
}
