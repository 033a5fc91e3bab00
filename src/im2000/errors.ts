// What can go wrong for an IM2000 client, as types the shims map to their own reply codes
// (one mapping table per shim, e.g. shims SUB-13).

/** The transport failed: connect refused or timed out, the peer closed, no response in time. */
export class Im2000TransportError extends Error {
  override readonly name = "Im2000TransportError";
  readonly kind: "connect" | "timeout" | "closed" | "locate";
  /** For "locate": whether the failure is permanent (NXDOMAIN, target ".") or temporary. */
  readonly permanent: boolean;
  constructor(kind: Im2000TransportError["kind"], message: string, permanent = false) {
    super(message);
    this.kind = kind;
    this.permanent = permanent;
  }
}

/** The server sent something that is not a valid answer (im2000 §7 C-1, C-2); the session is gone. */
export class Im2000ProtocolError extends Error {
  override readonly name = "Im2000ProtocolError";
}

/** The server answered with a status other than noerror. */
export class Im2000StatusError extends Error {
  override readonly name = "Im2000StatusError";
  readonly protocol: string;
  readonly status: number;
  readonly statusName: string;
  readonly forceabort: boolean;
  constructor(protocol: string, status: number, statusName: string, forceabort: boolean) {
    super(`${protocol} ${statusName}${forceabort ? " (transaction aborted)" : ""}`);
    this.protocol = protocol;
    this.status = status;
    this.statusName = statusName;
    this.forceabort = forceabort;
  }
}
