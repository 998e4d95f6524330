// Address helpers (src/net/): Go's SplitHostPort and IP.String() behaviour, which config
// validation and the other stages rely on, and the byte forms agreeing with the text forms.
import t from 'tap';
import { joinHostPort, parseHostPort, parsePort, splitHostPort, splitHostPortDetailed } from '../src/net/hostport.js';
import { bytesToIPv6, ipBytes, ipFamily, ipv6ToBytes, normalizeIP, parseIP } from '../src/net/ip.js';
import { parseCIDR, parseCidr } from '../src/net/cidr.js';

t.test('normalizeIP prints like Go', async (tt) => {
  const rows: [string, string | null][] = [
    ['1.2.3.4', '1.2.3.4'],
    ['2001:0DB8:0000:0000:0000:0000:1A2B:0001', '2001:db8::1a2b:1'],
    ['2001:db8:3c4d:0015:0000:0000:1a2f:1a2b', '2001:db8:3c4d:15::1a2f:1a2b'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:1:2:3:4:0:6', '2001:db8:1:2:3:4:0:6'],
    ['0:0:1:0:0:0:0:0', '0:0:1::'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::FFFF:0102:0304', '1.2.3.4'],
    ['::1.2.3.4', '::102:304'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['fe80::1%eth0', null],
    ['01.2.3.4', null],
    ['1.2.3', null],
    ['host', null],
    ['', null],
    ['[::1]', null],
  ];
  for (const [s, want] of rows) tt.equal(normalizeIP(s), want, s);
  tt.strictSame([ipFamily('1.2.3.4'), ipFamily('::1'), ipFamily('fe80::1%lo'), ipFamily('x')], [4, 6, 0, 0]);
});

t.test('splitHostPort follows Go net.SplitHostPort', async (tt) => {
  const rows: [string, { host: string; port: string } | { error: string }][] = [
    ['a:1', { host: 'a', port: '1' }],
    ['[::1]:53', { host: '::1', port: '53' }],
    [':5050', { host: '', port: '5050' }],
    ['a:', { host: 'a', port: '' }],
    ['[1.2.3.4]:53', { host: '1.2.3.4', port: '53' }],
    ['a', { error: 'address a: missing port in address' }],
    ['', { error: 'address : missing port in address' }],
    ['[::1]', { error: 'address [::1]: missing port in address' }],
    ['::1:53', { error: 'address ::1:53: too many colons in address' }],
    ['[a]b:1', { error: 'address [a]b:1: missing port in address' }],
    ['[a]:1:2', { error: 'address [a]:1:2: too many colons in address' }],
    ['[a:1', { error: "address [a:1: missing ']' in address" }],
    ['a]:1', { error: "address a]:1: unexpected ']' in address" }],
    ['a[:1', { error: "address a[:1: unexpected '[' in address" }],
  ];
  for (const [s, want] of rows) {
    tt.strictSame(splitHostPortDetailed(s), want, s);
    tt.strictSame(splitHostPort(s), 'error' in want ? null : want, s);
  }
});

t.test('parsePort, parseHostPort, joinHostPort', async (tt) => {
  tt.strictSame(['0', '53', '65535', '65536', '-1', '+53', '', 'abc', '123456'].map(parsePort), [0, 53, 65535, null, null, null, null, null, null]);
  tt.strictSame(parseHostPort('10.0.0.1:5050'), { host: '10.0.0.1', port: 5050 });
  tt.strictSame(parseHostPort('[2001:db8::1]:5050'), { host: '2001:db8::1', port: 5050 });
  tt.strictSame(parseHostPort('master.example:0'), { host: 'master.example', port: 0 });
  tt.equal(parseHostPort('10.0.0.1'), null);
  tt.equal(parseHostPort('10.0.0.1:65536'), null);
  tt.equal(parseHostPort('10.0.0.1:http'), null);
  tt.equal(joinHostPort('10.0.0.1', 53), '10.0.0.1:53');
  tt.equal(joinHostPort('2001:db8::1', '53'), '[2001:db8::1]:53');
});

t.test('parseCIDR', async (tt) => {
  tt.strictSame(parseCIDR('10.0.0.0/8'), { address: '10.0.0.0', prefix: 8, family: 'ipv4' });
  tt.strictSame(parseCIDR('FE80::/10'), { address: 'fe80::', prefix: 10, family: 'ipv6' });
  tt.strictSame(parseCIDR('192.0.2.1'), { address: '192.0.2.1', prefix: 32, family: 'ipv4' });
  tt.strictSame(parseCIDR('::1'), { address: '::1', prefix: 128, family: 'ipv6' });
  tt.strictSame(parseCIDR('::ffff:10.0.0.0/104'), { address: '::ffff:a00:0', prefix: 104, family: 'ipv6' });
  for (const s of ['10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/8/8', 'x/8', '/8', '']) {
    tt.equal(parseCIDR(s), null, s);
  }
});

t.test('bytes and text agree: one IPv6 expander, one RFC 5952 formatter', async (tt) => {
  const v6 = ['2001:0DB8:0000:0000:0000:0000:1A2B:0001', '2001:db8:0:0:1:0:0:1', '::', '::1', '1::', 'fe80::1:2:3:4',
    '0:0:1:0:0:0:0:1', '1:0:0:2:0:0:0:3', '::ffff:1.2.3.4', '64:ff9b::10.0.0.1', '1:2:3:4:5:6:7:8'];
  for (const s of v6) {
    const b = ipv6ToBytes(s)!;
    tt.equal(b.length, 16, s);
    const text = bytesToIPv6(b);
    const p = parseIP(s)!;
    if (p.family === 6) tt.equal(text, p.text, `${s}: bytes → text = parseIP text`);
    tt.equal(ipBytes(s)!.length, p.family === 4 ? 4 : 16, `${s}: IPv4-mapped compares as IPv4`);
  }
  tt.same([...ipBytes(' fe80::1%eth0 ')!], [...ipv6ToBytes('fe80::1')!], 'allow-list reading: spaces and zone ignored');
  for (const c of ['10.0.0.0/8', 'fd00::/8', '::ffff:10.0.0.0/104', '1.2.3.4', '::/0']) {
    tt.ok(parseCIDR(c), c);
    tt.doesNotThrow(() => parseCidr(c), `${c}: what the config accepts, forwarding accepts`);
  }
});
