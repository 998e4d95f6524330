// The contract between the DNS server and forwarding. The server hands over the raw query of a
// name outside the Mesos domain; forwarding returns the bytes to send back (client's ID and
// question restored, already truncated to `clientLimit`), or an error reply it built itself.
import type { ClientQuery } from '../wire/query.js';

export interface ForwardRequest {
  /** The client's query exactly as received (already validated as a well-formed single question). */
  query: Buffer;
  /** The query as the answering path parsed it (wire/query.ts); forwarding parses it itself when absent. */
  parsed?: ClientQuery;
  /** Question type and class numbers (the name stays in `query`: a string of it per query cost GC time). */
  qtype: number;
  qclass: number;
  /** Transport the client used. */
  transport: 'udp' | 'tcp';
  /** Max reply size for this client: 512 / min(EDNS size,1232) over UDP, 65535 over TCP. */
  clientLimit: number;
  /** Client address (for the allow-list). */
  clientAddress: string;
}

export interface Forwarder {
  /** A Buffer when the reply is ready at once (cache hit, refusal), else a promise of it. */
  forward(req: ForwardRequest): Buffer | Promise<Buffer>;
  close(): Promise<void>;
}
