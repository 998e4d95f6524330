// Fetches the stand-in master's state every --every seconds and throws it away: the state
// transfers of a refresh load without the server's work on them. Why: the refresh section's
// control run puts this beside the baseline, so that what the transfers alone cost the load
// generator (the master and the loopback TCP work share its core) is measured, not guessed.
// Usage: node dist/bench/fetchloop.js --url=http://127.0.0.1:P/master/state --every=5 --duration=S
import { request } from 'undici';

const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const url = arg('url', '');
const everyMs = Number(arg('every', '5')) * 1000;
const end = Date.now() + Number(arg('duration', '10')) * 1000;
let fetches = 0;
let bytes = 0;
while (Date.now() < end) {
  const t = Date.now();
  const res = await request(url);
  for await (const chunk of res.body) bytes += (chunk as Buffer).length;
  fetches++;
  await new Promise((r) => setTimeout(r, Math.max(0, Math.min(everyMs - (Date.now() - t), end - Date.now()))));
}
console.log(JSON.stringify({ fetches, bytes }));
