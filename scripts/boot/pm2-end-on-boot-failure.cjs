// The boot's part of PID 1, preloaded into pm2-runtime (pm2-runtime.ts). Each pm2 instance runs the
// boot's steps 1–4 before it serves (main.ts serve). Left to itself, pm2-runtime restarts an instance
// that exits, and gives up only once no instance has been online for four polls two seconds apart
// (some 6–12 s), with exit code 2: a failing step would be retried into the same failure, and the
// container would end late and with another code. So an instance that reports its boot failed, or
// exits before it serves, ends pm2-runtime at once with that instance's code; an instance that
// crashes once it served is restarted by pm2 as before. A stop (SIGTERM, SIGINT) is pm2-runtime's own.
// CommonJS: node --require loads it before pm2-runtime's own script.
const cluster = require('node:cluster');

if (cluster.isPrimary && /pm2-runtime$/.test(process.argv[1] ?? '')) {
  const serving = new Set();
  let ending = false;
  const end = (code) => {
    if (ending) return;
    ending = true;
    // pm2 relays an instance's output through its log bus, a socket hop behind its IPC messages:
    // the instance's last lines (its ERROR) are printed before the container ends. The instances go
    // with it, before pm2 could restart them.
    setTimeout(() => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(code);
    }, 200);
  };
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => (ending = true));
  cluster.on('message', (worker, message) => {
    if (message?.boot === 'serving') serving.add(worker.id);
    if (message?.boot === 'failed') end(message.code);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (serving.has(worker.id) || ending) return;
    // Killed, or ended by Directus itself: it said nothing, so this says why the container ends.
    process.stderr.write(`[boot] ERROR a pm2 instance ended (${signal ? `signal ${signal}` : `exit code ${code}`}) before it served: the container ends with code ${code || 1}\n`);
    end(code || 1);
  });
}
