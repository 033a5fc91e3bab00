// The four IM2000 protocols: PDUs, framing, sessions, service location and typed clients.
export * from "./types.ts";
export * from "./protocol.ts";
export * from "./errors.ts";
export * from "./framing.ts";
export * from "./msoap.ts";
export * from "./msrap.ts";
export * from "./rnasp.ts";
export * from "./rnaqp.ts";
export * from "./client-session.ts";
export * from "./server.ts";
export * from "./locate.ts";
export * from "./endpoint.ts";
export * from "./msoap-client.ts";
export * from "./msrap-client.ts";
export * from "./rnasp-client.ts";
export * from "./rnaqp-client.ts";
