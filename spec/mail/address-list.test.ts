// parseAddressList: RFC 5322 §3.4 address lists with the obsolete forms of §4.4 (what sendmail -t
// reads from To/Cc/Bcc, shims LOC-2).

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { AddressSyntaxError, parseAddressList } from "../../src/mail/address-list.ts";

const addrs = (s: string, bare = false) => parseAddressList(s, { allowBareLocalPart: bare }).map((a) => (a.domain === undefined ? a.localpart : `${a.localpart}@${a.domain}`));

describe("parseAddressList", () => {
  it("plain addr-specs and name-addrs, with commas", () => {
    assert.deepEqual(addrs("a@example.org, Bob <bob@example.net>,c.d@x.example"), ["a@example.org", "bob@example.net", "c.d@x.example"]);
    const [b] = parseAddressList("Bob Smith <bob@example.net>");
    assert.equal(b!.displayName, "Bob Smith");
  });

  it("quoted display names with commas, quotes and angle brackets inside", () => {
    assert.deepEqual(addrs('"Smith, Bob" <bob@example.net>, "A \\"q\\" <x@y>" <a@example.org>'), ["bob@example.net", "a@example.org"]);
    assert.equal(parseAddressList('"Smith, Bob" <bob@example.net>')[0]!.displayName, "Smith, Bob");
  });

  it("comments anywhere, nested, with quoted pairs; cron's 'root (Cron Daemon)'", () => {
    assert.deepEqual(addrs("bob@example.net (Bob (the (real) one) \\) here), (x) ann@example.org (Ann)"), ["bob@example.net", "ann@example.org"]);
    assert.deepEqual(addrs("root (Cron Daemon)", true), ["root"]);
  });

  it("groups, empty groups and undisclosed-recipients:;", () => {
    const g = parseAddressList("friends: a@example.org, Bob <b@example.org>;, c@example.org, undisclosed-recipients:;");
    assert.deepEqual(
      g.map((a) => [a.localpart, a.group]),
      [
        ["a", "friends"],
        ["b", "friends"],
        ["c", undefined],
      ],
    );
    assert.deepEqual(addrs("undisclosed-recipients:;"), []);
  });

  it("unfolded whitespace, quoted local parts, domain literals, source routes and empty list elements", () => {
    assert.deepEqual(addrs("  a@example.org ,\t, ,b @ example . org"), ["a@example.org", "b@example.org"]);
    assert.deepEqual(
      parseAddressList('"john smith"@example.org').map((a) => a.localpart),
      ["john smith"],
    );
    assert.deepEqual(addrs("x@[192.0.2.1]"), ["x@[192.0.2.1]"]);
    assert.deepEqual(addrs("<@relay.example,@other.example:bob@example.net>"), ["bob@example.net"]);
  });

  it("UTF-8 addresses and display names (RFC 6532)", () => {
    assert.deepEqual(addrs("Jürgen <jürgen@bücher.example>, 日本@例え.jp"), ["jürgen@bücher.example", "日本@例え.jp"]);
  });

  it("a bare local part is refused unless allowed (sendmail qualifies it with a default domain)", () => {
    assert.throws(() => parseAddressList("lucy"), AddressSyntaxError);
    assert.deepEqual(addrs("lucy, root@example.org", true), ["lucy", "root@example.org"]);
  });

  it("malformed lists are AddressSyntaxErrors with the offset", () => {
    for (const bad of ["<a@example.org", '"unterminated', "(unterminated", "a@", "a b@example.org", "@example.org", "g: a@example.org", "a@example.org >", "x@[1.2.3", "a@@b"]) {
      assert.throws(() => parseAddressList(bad), (e) => e instanceof AddressSyntaxError && e.offset >= 0 && e.offset <= bad.length, bad);
    }
    assert.throws(() => parseAddressList("(".repeat(40) + ")".repeat(40) + " a@example.org"), /nested too deeply/);
  });

  it("property: a list of generated mailboxes, each written in a random style, parses back to the same addresses", () => {
    const atom = fc.stringMatching(/^[a-z0-9!#$%&'*+\-/=?^_`{|}~]{1,8}$/);
    const local = fc.oneof(atom, fc.tuple(atom, atom).map(([a, b]) => `${a}.${b}`));
    const domain = fc.array(fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/), { minLength: 1, maxLength: 3 }).map((l) => [...l, "example"].join("."));
    const name = fc.stringMatching(/^[A-Za-z ,.]{0,12}$/);
    const entry = fc.tuple(local, domain, name, fc.constantFrom("plain", "angle", "quoted-name", "comment"));
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 6 }), (entries) => {
        const written = entries.map(([l, d, n, style]) => {
          if (style === "plain") return `${l}@${d}`;
          if (style === "angle") return `<${l}@${d}>`;
          if (style === "comment") return `${l}@${d} (${n.replace(/[()\\]/g, "")})`;
          return `"${n}" <${l}@${d}>`;
        });
        assert.deepEqual(addrs(written.join(", ")), entries.map(([l, d]) => `${l}@${d}`));
      }),
    );
  });

  it("property: arbitrary text never throws anything but AddressSyntaxError", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        try {
          parseAddressList(s, { allowBareLocalPart: true });
        } catch (e) {
          assert.ok(e instanceof AddressSyntaxError, String(e));
        }
      }),
    );
  });
});
