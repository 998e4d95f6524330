// A reply of several messages (a zone transfer): pulled one message at a time by the TCP writer,
// so a transfer only ever holds the message being written and its writer can wait for the socket
// to drain between messages. Messages come already framed with their 2-byte TCP length.

export interface MessageStream {
  readonly kind: 'stream';
  /** The next framed message, or null when the reply is complete. */
  next(): Buffer | null;
  /** Called once when the stream ends or its connection closes: release what it holds. */
  close(): void;
}

export function isMessageStream(x: unknown): x is MessageStream {
  return typeof x === 'object' && x !== null && (x as MessageStream).kind === 'stream';
}
