import { fileURLToPath } from 'node:url';
import type { SnapshotDiff } from '../schema/plan.ts';
import type { Snapshot } from '../schema/snapshot.ts';
import { spawnDirectus, type DirectusProcess } from './directus-cli.ts';
import type { WorkerCommand, WorkerReply } from './schema-worker.ts';

// The boot's handle on the schema worker of steps 2 and 3 (schema-worker.ts): bootstrap if step 2
// runs, plan, then apply or stop.
export interface SchemaWorker {
  bootstrap: () => Promise<'installed' | 'migrated'>;
  plan: (snapshotPath: string) => Promise<{ diff: SnapshotDiff; current: Snapshot }>;
  apply: () => Promise<void>;
  stop: () => Promise<void>;
  // Stops a worker started ahead of a step that never ran.
  cancel: () => void;
}

const workerPath = fileURLToPath(new URL('./schema-worker.ts', import.meta.url));

// Starting it loads Directus's modules at once; the database is first touched by plan().
export function startSchemaWorker(): SchemaWorker {
  const worker = spawnDirectus('schema worker', [workerPath], { ipc: true });
  const exited = worker.finished();
  exited.catch(() => undefined);
  return {
    async bootstrap() {
      const reply = await ask(worker, exited, { command: 'bootstrap' });
      if (!('bootstrapped' in reply)) throw worker.failure('did not bootstrap');
      return reply.bootstrapped;
    },
    async plan(snapshotPath) {
      const reply = await ask(worker, exited, { command: 'plan', snapshotPath });
      if (!('plan' in reply)) throw worker.failure('sent no plan');
      return { diff: reply.plan, current: reply.current };
    },
    async apply() {
      await ask(worker, exited, { command: 'apply' });
      await exited;
    },
    async stop() {
      worker.child.send({ command: 'stop' } satisfies WorkerCommand);
      await exited;
    },
    cancel() {
      if (worker.child.connected) worker.child.disconnect();
      worker.child.kill('SIGTERM');
    },
  };
}

// One command, one reply. A worker that reports a failure, or exits without replying, fails the
// step with its own words and the tail of Directus's log.
async function ask(worker: DirectusProcess, exited: Promise<unknown>, command: WorkerCommand): Promise<WorkerReply> {
  const reply = new Promise<WorkerReply>((resolve) => worker.child.once('message', resolve));
  worker.child.send(command);
  const first = await Promise.race([reply, exited.then(() => undefined, () => undefined)]);
  if (first === undefined) {
    await exited;
    throw worker.failure(`exited before answering "${command.command}"`);
  }
  if ('failed' in first) {
    await exited.catch(() => undefined);
    throw worker.failure(`could not ${command.command}: ${first.failed}`);
  }
  return first;
}
