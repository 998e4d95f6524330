// Command-line parsing with Go's `flag` package rules, because existing unit files and scripts
// call the original with them: one or two dashes, `-name=value` or `-name value`, booleans only
// as `-name` / `-name=bool`. Deliberate differences [A.20]: `-v` alone means 1 (and does not
// swallow the next flag), `-vv` means 2. The glog flags are accepted and ignored, since our
// logging is not glog. Stray positional arguments are an error rather than silently ignored.

export interface Flags {
  config: string;
  version: boolean;
  verbosity: number;
  demo: boolean;
  help: boolean;
}

/** A command-line problem; the CLI prints it with the usage text and exits 2. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

export const USAGE = `Usage: mesos-dns [flags]
  -config FILE      path to the JSON configuration file (default "config.json")
  -version          print the version and exit
  -v, -v=N          verbose logging: 1 = debug, 2 = trace (also -vv)
  -demo             run the embedded demo (stand-in Mesos master, no cluster needed)
  -h, -help         print this help
Accepted and ignored (glog compatibility): -logtostderr, -alsologtostderr, -stderrthreshold,
  -log_dir, -vmodule, -log_backtrace_at
`;

type Kind = 'bool' | 'value';
const IGNORED: Record<string, Kind> = {
  logtostderr: 'bool',
  alsologtostderr: 'bool',
  stderrthreshold: 'value',
  log_dir: 'value',
  vmodule: 'value',
  log_backtrace_at: 'value',
};

/** Go's strconv.ParseBool. */
function parseBool(flag: string, s: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  throw new FlagError(`invalid boolean value ${JSON.stringify(s)} for -${flag}`);
}

function parseLevel(s: string): number {
  if (!/^[0-9]{1,9}$/.test(s)) throw new FlagError(`invalid value ${JSON.stringify(s)} for flag -v: expected a non-negative integer`);
  return Number(s);
}

/** Parses argv without the node/script entries (i.e. process.argv.slice(2)). Throws FlagError. */
export function parseFlags(argv: readonly string[]): Flags {
  const out: Flags = { config: 'config.json', version: false, verbosity: 0, demo: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      if (i + 1 < argv.length) throw new FlagError(`unexpected argument ${JSON.stringify(argv[i + 1])}`);
      break;
    }
    if (arg.length < 2 || arg[0] !== '-') throw new FlagError(`unexpected argument ${JSON.stringify(arg)}`);
    const body = arg.startsWith('--') ? arg.slice(2) : arg.slice(1);
    if (body === '' || body[0] === '-' || body[0] === '=') throw new FlagError(`bad flag syntax: ${arg}`);
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const value = eq < 0 ? undefined : body.slice(eq + 1);
    const next = (): string => {
      if (value !== undefined) return value;
      if (i + 1 >= argv.length) throw new FlagError(`flag needs an argument: -${name}`);
      return argv[++i]!;
    };

    if (name === 'h' || name === 'help') {
      out.help = true;
    } else if (name === 'config') {
      out.config = next();
    } else if (name === 'version') {
      out.version = value === undefined ? true : parseBool(name, value);
    } else if (name === 'demo') {
      out.demo = value === undefined ? true : parseBool(name, value);
    } else if (name === 'v') {
      if (value !== undefined) out.verbosity = parseLevel(value);
      else if (i + 1 < argv.length && /^[0-9]+$/.test(argv[i + 1]!)) out.verbosity = parseLevel(argv[++i]!);
      else out.verbosity = 1;
    } else if (/^v+$/.test(name) && value === undefined) {
      out.verbosity = name.length;
    } else if (IGNORED[name] === 'bool') {
      if (value !== undefined) parseBool(name, value);
    } else if (IGNORED[name] === 'value') {
      next();
    } else {
      throw new FlagError(`flag provided but not defined: -${name}`);
    }
  }
  return out;
}
