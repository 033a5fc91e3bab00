// The one table from IM2000 (MSOAP) outcomes to SMTP replies (shims SUB-13, SUB-2). Temporary
// and permanent failures are never confused: anything that may succeed on retry is 4xx.

import { Im2000ProtocolError, Im2000StatusError, Im2000TransportError } from "../im2000/errors.ts";
import { MsoapStatus } from "../im2000/msoap.ts";
import { reply, type Reply } from "./reply.ts";

/** SUB-13: MSOAP status → SMTP reply, for envelope, chunk and final-chunk failures. */
export function replyForStatus(status: number): Reply {
  switch (status) {
    case MsoapStatus.errornotauthenticated:
      return reply(530, "5.7.0", "Authentication required by the message store");
    case MsoapStatus.errornotpermitted:
      return reply(554, "5.7.1", "The message store refused the submission");
    case MsoapStatus.errornotenoughroom:
      return reply(452, "4.3.1", "The message store is out of space; try again later");
    case MsoapStatus.errorwouldexceedquota:
      return reply(452, "4.2.2", "Storage quota exceeded at the message store");
    case MsoapStatus.errorlifetimetooshort:
      return reply(451, "4.3.5", "Message store configuration problem (lifetime); try again later");
    case MsoapStatus.errorserviceshutdown:
      return reply(421, "4.3.2", "The message store is shutting down; try again later");
    default:
      // errorinternalproblem, errorcommandtimeout, errormalformedpdu, errorunexpectedcommand,
      // and statuses we do not know (im2000 §7 C-3: a generic error).
      return reply(451, "4.3.0", "Temporary message store failure; try again later");
  }
}

/** SUB-13 for thrown errors: transport loss and protocol trouble are temporary. */
export function replyForError(e: unknown): Reply {
  if (e instanceof Im2000StatusError) return replyForStatus(e.status);
  if (e instanceof Im2000TransportError) {
    if (e.kind === "locate" && e.permanent) return reply(554, "5.4.4", "The message store cannot be located");
    return reply(451, "4.3.0", "The message store is unreachable; try again later");
  }
  if (e instanceof Im2000ProtocolError) return reply(451, "4.3.0", "Temporary message store failure; try again later");
  return reply(451, "4.3.0", "Local error in processing; try again later");
}

/** SUB-2: the reply to AUTH once the store answered CommandAuthenticate. */
export function replyForAuth(e: unknown | undefined): Reply {
  if (e === undefined) return reply(235, "2.7.0", "Authentication successful");
  if (e instanceof Im2000StatusError && e.status === MsoapStatus.errornotauthenticated) return reply(535, "5.7.8", "Authentication credentials invalid");
  return reply(454, "4.7.0", "Temporary authentication failure");
}
