// The bench's flags: `--k=v` or `BENCH_K=v` (env), parsed once by run.ts and handed to every section
// as `Options`. The list and its defaults are documented in bench/README.md; --quick lowers the
// defaults shown in brackets there.
import { join } from 'node:path';

export function parseOptions(argv: string[], root: string) {
  const flag = (k: string) => argv.includes(`--${k}`) || process.env[`BENCH_${k.toUpperCase().replace(/-/g, '_')}`] === '1';
  const opt = (k: string, d: string) =>
    argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? process.env[`BENCH_${k.toUpperCase().replace(/-/g, '_')}`] ?? d;
  const quick = flag('quick');
  const O = {
    quick,
    // Sections: --only=a,b or bare names (`npm run bench -- threads`).
    only: new Set((argv.filter((a) => !a.startsWith('-')).join(',') || opt('only', 'rates,states,refresh,forward,stream,ops')).split(',').map((s) => s.trim()).filter(Boolean)),
    seconds: Number(opt('seconds', quick ? '3' : '15')),
    warmup: Number(opt('warmup', quick ? '1' : '2')),
    rateTasks: Number(opt('rate-tasks', '10000')),
    sizes: opt('sizes', quick ? '1000,10000' : '1000,10000,50000').split(',').map(Number),
    statesRefreshSeconds: Number(opt('states-refresh-seconds', '8')),
    refreshTasks: Number(opt('refresh-tasks', quick ? '10000' : '50000')),
    refreshDuration: Number(opt('refresh-duration', quick ? '15' : '60')),
    refreshSeconds: Number(opt('refresh-seconds', '5')),
    rate: Number(opt('rate', '20000')),
    forwardTasks: Number(opt('forward-tasks', '1000')),
    missNames: Number(opt('miss-names', '2000000')),
    clients: Number(opt('clients', '4')),
    outstanding: Number(opt('outstanding', '100')),
    samples: Number(opt('samples', '50')),
    repeat: Number(opt('repeat', '1')),
    server: opt('server', join(root, 'bin', 'mesos-dns')),
    pin: !flag('no-pin'),
    out: opt('out', join(root, 'bench', 'results', 'latest.json')),
    xfrTasks: Number(opt('xfr-tasks', quick ? '10000' : '50000')),
    xfrTrace: opt('xfr-trace', '') || null,
    xfrParts: new Set(opt('xfr-parts', 'transfer,propagation,one,b2b').split(',').map((s) => s.trim()).filter(Boolean)),
  };
  return { O, opt, flag, quick };
}

export type Options = ReturnType<typeof parseOptions>['O'];
