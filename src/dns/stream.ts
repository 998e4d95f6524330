// A reply of several messages (a zone transfer): pulled one step at a time by the TCP writer,
// so a transfer only ever holds the message being written, its writer can wait for the socket
// to drain between messages, and the answering thread is never held longer than one step (a few
// dozen names encoded) before UDP and other connections get their turn (tcp.ts budgets steps per
// turn of the event loop). Messages come already framed with their 2-byte TCP length.

export interface MessageStream {
  readonly kind: 'stream';
  /**
   * One step of work: the next framed message, false when a step was done but no message is
   * complete yet (call again), or null when the reply is complete.
   */
  next(): Buffer | false | null;
  /**
   * Optional: every byte of message `m` (from `next`) has been written out; its memory may be
   * reused for a later message. Never called while the bytes may still be unsent.
   */
  release?(m: Buffer): void;
  /** Called once when the stream ends or its connection closes: release what it holds. */
  close(): void;
}

export function isMessageStream(x: unknown): x is MessageStream {
  return typeof x === 'object' && x !== null && (x as MessageStream).kind === 'stream';
}
