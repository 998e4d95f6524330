// Reading our /metrics in tests: fetch the exposition and parse its sample lines into
// "name{labels}" → value, so a test can compare counters before and after the queries it sends.
export async function scrape(httpPort: number, accept?: string): Promise<{ text: string; type: string; status: number }> {
  const r = await fetch(`http://127.0.0.1:${httpPort}/metrics`, { headers: accept ? { accept } : {} });
  return { text: await r.text(), type: r.headers.get('content-type') ?? '', status: r.status };
}

/** Sample lines → map; label order kept as rendered (ours is stable). */
export function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

export async function metricValues(httpPort: number): Promise<Map<string, number>> {
  return samples((await scrape(httpPort)).text);
}

/** after - before for one series (absent counts as 0). */
export function delta(before: Map<string, number>, after: Map<string, number>, key: string): number {
  return (after.get(key) ?? 0) - (before.get(key) ?? 0);
}
