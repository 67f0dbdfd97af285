// A load generator in a process of its own, so that the benchmark's own event loop neither competes
// with the clients nor times its own waiting: `concurrency` clients, one keep-alive connection each
// (undici's Pool, lighter than fetch), send `requests` GETs in all, accepting gzip as processor does;
// each answer is read whole, as it arrives (not decompressed: that is the client's work, not the
// server's), and required to be 200. Prints one JSON line: the latencies in ms and the wall time in seconds.
//   node scripts/bench/http-load.ts '{"origin":…,"path":…,"token":…,"requests":…,"concurrency":…}'
import { Pool } from 'undici';

export interface LoadSpec {
  origin: string;
  path: string;
  token?: string | undefined;
  requests: number;
  concurrency: number;
}
export interface LoadResult {
  latencies: number[];
  seconds: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
const pool = new Pool(spec.origin, { connections: spec.concurrency });
const headers = { 'accept-encoding': 'gzip', ...(spec.token ? { authorization: `Bearer ${spec.token}` } : {}) };
const latencies: number[] = [];
let sent = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: spec.concurrency }, async () => {
    while (sent < spec.requests) {
      sent += 1;
      const begun = performance.now();
      const response = await pool.request({ path: spec.path, method: 'GET', headers });
      const body = Buffer.from(await response.body.arrayBuffer());
      if (response.statusCode !== 200) throw new Error(`GET ${spec.path}: ${response.statusCode} ${body.toString().slice(0, 200)}`);
      latencies.push(performance.now() - begun);
    }
  }),
);
const result: LoadResult = { latencies, seconds: (performance.now() - started) / 1000 };
await pool.close();
console.log(JSON.stringify(result));
