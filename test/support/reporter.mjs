// tap reporter for CI: passes the raw TAP through unchanged and ends with the plain line
// "N passed, N failed[, N skipped]" that the project's CI reads. N counts leaf assertions:
// a subtest's own summary line (the one right after its indented block) is not counted again.
import { Transform } from 'node:stream';

const POINT = /^(\s*)(not ok|ok)\b(.*)$/;

export default class PlainSummary extends Transform {
  constructor() {
    super();
    this.buf = '';
    this.prevIndent = 0;
    this.passed = 0;
    this.failed = 0;
    this.skipped = 0;
  }
  line(l) {
    if (l.trim() === '') return;
    const indent = l.length - l.trimStart().length;
    const m = POINT.exec(l);
    if (m && this.prevIndent <= indent) {
      const directive = m[3];
      if (/#\s*(SKIP|TODO)/i.test(directive)) this.skipped++;
      else if (m[2] === 'ok') this.passed++;
      else this.failed++;
    }
    this.prevIndent = indent;
  }
  _transform(chunk, _enc, cb) {
    const s = chunk.toString();
    this.buf += s;
    const lines = this.buf.split('\n');
    this.buf = lines.pop();
    for (const l of lines) this.line(l);
    cb(null, chunk);
  }
  _flush(cb) {
    if (this.buf) this.line(this.buf);
    const skipped = this.skipped ? `, ${this.skipped} skipped` : '';
    cb(null, `\n${this.passed} passed, ${this.failed} failed${skipped}\n`);
  }
}
