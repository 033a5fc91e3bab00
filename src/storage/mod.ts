// Durable storage primitives shared by the reference peers and the shims' notification stores.
export * from "./crc32.ts";
export * from "./record-log.ts";
export * from "./slot-table.ts";
export * from "./fixed-array.ts";
export * from "./small-files.ts";
export * from "./storage.ts";
