// Command-line parsing: every accepted spelling (Go flag rules + A.20), the ignored glog flags,
// and the exact error for each kind of bad command line.
import t from 'tap';
import { FlagError, parseFlags, USAGE, type Flags } from '../src/config/flags.js';

const DEFAULTS: Flags = { config: 'config.json', version: false, verbosity: 0, demo: false, help: false };

function fails(argv: string[]): string {
  try {
    parseFlags(argv);
  } catch (e) {
    if (e instanceof FlagError) return e.message;
    throw e;
  }
  throw new Error(`no FlagError for ${JSON.stringify(argv)}`);
}

t.test('no arguments: defaults', async (tt) => {
  tt.strictSame(parseFlags([]), DEFAULTS);
});

t.test('-config spellings', async (tt) => {
  for (const argv of [
    ['-config=/etc/mesos-dns/config.json'],
    ['-config', '/etc/mesos-dns/config.json'],
    ['--config=/etc/mesos-dns/config.json'],
    ['--config', '/etc/mesos-dns/config.json'],
  ]) {
    tt.strictSame(parseFlags(argv), { ...DEFAULTS, config: '/etc/mesos-dns/config.json' }, argv.join(' '));
  }
  tt.strictSame(parseFlags(['-config=a=b.json']), { ...DEFAULTS, config: 'a=b.json' }, 'value keeps later =');
  tt.strictSame(parseFlags(['-config=']), { ...DEFAULTS, config: '' }, 'empty value is a value');
  tt.strictSame(parseFlags(['-config=a.json', '-config=b.json']), { ...DEFAULTS, config: 'b.json' }, 'last wins');
  // Go's rule for value flags: the next argument is the value, whatever it looks like.
  tt.strictSame(parseFlags(['-config', '-v']), { ...DEFAULTS, config: '-v' });
  tt.equal(fails(['-config']), 'flag needs an argument: -config');
  tt.equal(fails(['--config']), 'flag needs an argument: -config');
});

t.test('-version and -demo are booleans', async (tt) => {
  for (const argv of [['-version'], ['--version'], ['-version=true'], ['-version=1'], ['--version=T']]) {
    tt.strictSame(parseFlags(argv), { ...DEFAULTS, version: true }, argv.join(' '));
  }
  tt.strictSame(parseFlags(['-version=false']), DEFAULTS);
  tt.strictSame(parseFlags(['-version=0']), DEFAULTS);
  tt.equal(fails(['-version=yes']), 'invalid boolean value "yes" for -version');
  // A boolean never takes the next argument.
  tt.equal(fails(['-version', 'false']), 'unexpected argument "false"');
  tt.strictSame(parseFlags(['-demo']), { ...DEFAULTS, demo: true });
  tt.strictSame(parseFlags(['--demo', '-config=c.json']), { ...DEFAULTS, demo: true, config: 'c.json' });
  tt.strictSame(parseFlags(['-demo=false']), DEFAULTS);
});

t.test('-v spellings', async (tt) => {
  const rows: [string[], number][] = [
    [['-v'], 1],
    [['--v'], 1],
    [['-v=0'], 0],
    [['-v=1'], 1],
    [['-v=2'], 2],
    [['--v=2'], 2],
    [['-v', '2'], 2],
    [['-vv'], 2],
    [['--vv'], 2],
    [['-vvv'], 3],
    [['-v=2', '-v=1'], 1],
  ];
  for (const [argv, verbosity] of rows) {
    tt.strictSame(parseFlags(argv), { ...DEFAULTS, verbosity }, argv.join(' '));
  }
  // Unlike Go, a bare -v does not eat the next flag (the tutorial's `-v -config=...` works).
  tt.strictSame(parseFlags(['-v', '-config=/x.json']), { ...DEFAULTS, verbosity: 1, config: '/x.json' });
  tt.strictSame(parseFlags(['-v', '-version']), { ...DEFAULTS, verbosity: 1, version: true });
  tt.equal(fails(['-v=x']), 'invalid value "x" for flag -v: expected a non-negative integer');
  tt.equal(fails(['-v=-1']), 'invalid value "-1" for flag -v: expected a non-negative integer');
  tt.equal(fails(['-v=']), 'invalid value "" for flag -v: expected a non-negative integer');
  tt.equal(fails(['-vv=2']), 'flag provided but not defined: -vv');
});

t.test('-h and -help', async (tt) => {
  for (const argv of [['-h'], ['-help'], ['--help'], ['--h'], ['-help=true'], ['-config=x', '-h']]) {
    tt.equal(parseFlags(argv).help, true, argv.join(' '));
  }
  tt.match(USAGE, /^Usage: mesos-dns \[flags\]\n/);
  for (const f of ['-config', '-version', '-v', '-demo', '-help']) tt.ok(USAGE.includes(f), `usage mentions ${f}`);
});

t.test('glog flags are accepted and ignored', async (tt) => {
  const argvs = [
    ['-logtostderr'],
    ['-logtostderr=true'],
    ['--alsologtostderr'],
    ['-alsologtostderr=false'],
    ['-stderrthreshold=ERROR'],
    ['-stderrthreshold', 'INFO'],
    ['-log_dir=/var/log/mesos-dns'],
    ['--log_dir', '/tmp'],
    ['-vmodule=detect=2'],
    ['-log_backtrace_at=main.go:10'],
  ];
  for (const argv of argvs) {
    tt.strictSame(parseFlags([...argv, '-config=c.json']), { ...DEFAULTS, config: 'c.json' }, argv.join(' '));
  }
  tt.equal(fails(['-logtostderr=maybe']), 'invalid boolean value "maybe" for -logtostderr');
  tt.equal(fails(['-log_dir']), 'flag needs an argument: -log_dir');
});

t.test('bad command lines', async (tt) => {
  tt.equal(fails(['-nope']), 'flag provided but not defined: -nope');
  tt.equal(fails(['--port=53']), 'flag provided but not defined: -port');
  tt.equal(fails(['-Config=x']), 'flag provided but not defined: -Config');
  tt.equal(fails(['config.json']), 'unexpected argument "config.json"');
  tt.equal(fails(['-config=c.json', 'extra']), 'unexpected argument "extra"');
  tt.equal(fails(['-']), 'unexpected argument "-"');
  tt.equal(fails(['---config=x']), 'bad flag syntax: ---config=x');
  tt.equal(fails(['-=x']), 'bad flag syntax: -=x');
  tt.equal(fails(['--', 'x']), 'unexpected argument "x"');
  tt.strictSame(parseFlags(['-v', '--']), { ...DEFAULTS, verbosity: 1 }, '-- ends the flags');
  tt.equal(new FlagError('m').name, 'FlagError');
});
