// What a reading shim shows for a message its originator withdrew or its store no longer holds
// (shims POP-11, IMAP-7; im2000 §12.4 "must handle messages that the originator or store owner
// deleted"): a short RFC 5322 message explaining that, built only from the saved notification, so
// its bytes (and so its size) are the same every time.

import { ipToString } from "../im2000/locate.ts";
import type { ServiceLocation } from "../im2000/types.ts";
import { hexIdentifier, type SavedNote } from "../notes/notes.ts";
import { rfc5322Date } from "../mail/date.ts";

export function describeLocation(l: ServiceLocation): string {
  if (l.kind === "domain") return l.value.join(".");
  return l.value.map((a) => `${a.address.kind === "version6" ? `[${ipToString(a.address)}]` : ipToString(a.address)}:${a.port}`).join(", ");
}

/** Header and body of the placeholder; `header` ends with the empty line. */
export function placeholderParts(note: SavedNote): { header: Uint8Array; body: Uint8Array } {
  const id = hexIdentifier(note.identifier);
  const store = describeLocation(note.notification.storeclear);
  const sender = note.notification.sender.replace(/[\r\n]/g, " ") || "an anonymous originator";
  const rcpt = `${note.notification.recipient.localpart}@${note.notification.recipient.domain.join(".")}`;
  const header = [
    "From: IM2000 reading shim <mailer-daemon@im2000-shim.invalid>",
    `To: <${rcpt.replace(/[\r\n<>]/g, "")}>`,
    "Subject: Message withdrawn",
    `Date: ${rfc5322Date(new Date(note.date * 1000))}`,
    `Message-ID: <withdrawn.${id}@im2000-shim.invalid>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    "",
    "",
  ].join("\r\n");
  const body = [
    `You were notified of a message from ${sender}, held at the IM2000 message store ${store}.`,
    "That message is no longer available: its originator withdrew it, or the store deleted it",
    "when its lifetime expired. Nothing more can be retrieved.",
    "",
    `Message identifier: ${id}`,
    "",
  ].join("\r\n");
  const enc = new TextEncoder();
  return { header: enc.encode(header), body: enc.encode(body) };
}
