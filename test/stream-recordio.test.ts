// RecordIO framing of the v1 event stream: records must come out whole and byte-exact however
// the body is chunked, and a stream that is not RecordIO (or breaks a limit) must end with an
// error that says why, before it is buffered.
import t from 'tap';
import { RecordIOParser, RecordIOError, frameRecord } from '../src/stream/recordio.js';

// A recorded stream's shapes (NEXT.md §1.5), with multi-byte UTF-8 so sizes must count bytes.
const events = [
  '{"type":"SUBSCRIBED","subscribed":{"get_state":{"get_tasks":{},"get_agents":{"agents":[{"agent_info":{"hostname":"10.0.0.1","port":5051,"id":{"value":"S0"}},"pid":"slave(1)@10.0.0.1:5051"}]},"get_frameworks":{}},"heartbeat_interval_seconds":15.0}}',
  '{"type":"HEARTBEAT"}',
  '{"type":"TASK_ADDED","task_added":{"task":{"name":"wörld-0 ✓","task_id":{"value":"t1"},"framework_id":{"value":"F1"},"agent_id":{"value":"S0"},"state":"TASK_STAGING"}}}',
  '{"type":"TASK_UPDATED","task_updated":{"framework_id":{"value":"F1"},"state":"TASK_RUNNING","status":{"task_id":{"value":"t1"},"state":"TASK_RUNNING","timestamp":1.5}}}',
  '',
  '{"type":"HEARTBEAT"}',
];
const stream = Buffer.concat(events.map((e) => frameRecord(e)));

function parseChunks(chunks: Buffer[], max = 1 << 20): string[] {
  const out: string[] = [];
  const p = new RecordIOParser(max, (r) => out.push(r.toString('utf8')));
  for (const c of chunks) p.push(c);
  if (p.end() !== 0) out.push('<left over>');
  return out;
}

t.test('the recorded stream split at every byte gives the same records', async (t) => {
  t.same(parseChunks([stream]), events, 'one chunk');
  for (let k = 0; k <= stream.length; k++) {
    const got = parseChunks([stream.subarray(0, k), stream.subarray(k)]);
    if (JSON.stringify(got) !== JSON.stringify(events)) t.fail(`split at byte ${k}`, { got });
  }
  const bytes: Buffer[] = [];
  for (let k = 0; k < stream.length; k++) bytes.push(stream.subarray(k, k + 1));
  t.same(parseChunks(bytes), events, 'one byte per chunk');
  // Split in three at every pair of points (a record split across three chunks).
  let bad = 0;
  for (let a = 0; a < stream.length; a += 7) {
    for (let b = a; b <= stream.length; b += 3) {
      const got = parseChunks([stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)]);
      if (JSON.stringify(got) !== JSON.stringify(events)) bad++;
    }
  }
  t.equal(bad, 0, 'three-way splits');
});

t.test('a large record is copied into one buffer of its size, across chunks', async (t) => {
  const big = Buffer.alloc(300_000, 0x61);
  const framed = Buffer.concat([frameRecord(big), frameRecord('{"type":"HEARTBEAT"}')]);
  const got: Buffer[] = [];
  const p = new RecordIOParser(1 << 20, (r) => got.push(Buffer.from(r)));
  for (let i = 0; i < framed.length; i += 65536) p.push(framed.subarray(i, i + 65536));
  t.equal(got.length, 2);
  t.ok(got[0]!.equals(big));
  t.equal(got[1]!.toString(), '{"type":"HEARTBEAT"}');
});

t.test('malformed or oversized size lines end the stream with a clear error', async (t) => {
  const cases: [string, Buffer, RegExp][] = [
    ['not digits', Buffer.from('<html>\n'), /size line holds "<", not a decimal digit/],
    ['sign', Buffer.from('-5\nabcde'), /size line holds "-"/],
    ['spaces', Buffer.from(' 5\nabcde'), /size line holds " "/],
    ['CR before LF', Buffer.from('5\r\nabcde'), /size line holds byte 0x0d/],
    ['hex', Buffer.from('1f\n'), /size line holds "f"/],
    ['empty', Buffer.from('\n'), /empty size line/],
    ['too many digits', Buffer.from('123456789012345678901'), /longer than 20 digits/],
    ['over the limit', Buffer.from('1001\n'), /record of 1001 bytes exceeds the limit of 1000/],
    ['huge', Buffer.from('99999999999999999999\n'), /exceeds the limit of 1000/],
    ['after a good record', Buffer.concat([frameRecord('{}'), Buffer.from('x')]), /holds "x".*after 1 records/],
  ];
  for (const [what, bytes, re] of cases) {
    const seen: string[] = [];
    const p = new RecordIOParser(1000, (r) => seen.push(r.toString()));
    // Fed a byte at a time too: the error must not depend on where the chunks end.
    for (const chunks of [[bytes], [...bytes].map((b) => Buffer.from([b]))]) {
      const q = new RecordIOParser(1000, () => {});
      t.throws(() => { for (const c of chunks) q.push(c); }, re, `${what} (${chunks.length} chunks)`);
    }
    t.throws(() => p.push(bytes), RecordIOError, what);
    t.throws(() => p.push(Buffer.from('2\n{}')), re, `${what}: the parser stays failed`);
  }
  // Exactly at the limit is fine.
  const ok: Buffer[] = [];
  new RecordIOParser(5, (r) => ok.push(r)).push(Buffer.from('5\nabcde'));
  t.equal(ok.length, 1);
});

t.test('a stream cut mid-record keeps every whole record and drops the rest', async (t) => {
  const cut = stream.length - 10;
  const got: string[] = [];
  const p = new RecordIOParser(1 << 20, (r) => got.push(r.toString('utf8')));
  p.push(stream.subarray(0, cut));
  t.same(got, events.slice(0, -1), 'the whole records');
  t.equal(p.end(), frameRecord(events.at(-1)!).length - 10 - 3, 'bytes of the partial record are dropped');
  const q = new RecordIOParser(1 << 20, () => {});
  q.push(Buffer.from('12'));
  t.equal(q.end(), 2, 'a partial size line');
});
