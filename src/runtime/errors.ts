// Errors the runtime layer's streams raise.

export class ReadTimeoutError extends Error {
  override readonly name = "ReadTimeoutError";
}
