import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { spawnDirectus } from '../boot/directus-cli.ts';
import { withBootLock } from '../lib/boot-lock.ts';
import { numberEnv } from '../lib/env.ts';
import type { RestoreReply, RestoreRequest } from './restore-worker.ts';

const workerPath = fileURLToPath(new URL('./restore-worker.ts', import.meta.url));

export type RestoreResult = { restored: string[] } | { refused: string };

// Puts archived items back (restore-worker.ts does it, in one transaction), holding the boot lock so
// that no replica boots, and no step 3 applies, while it runs.
export async function restoreArchive(client: pg.Client, request: RestoreRequest): Promise<RestoreResult> {
  return withBootLock(client, numberEnv('BOOT_LOCK_TIMEOUT', 600), async () => {
    const worker = spawnDirectus('restore worker', [workerPath], { ipc: true });
    const exited = worker.finished();
    exited.catch(() => undefined);
    const reply = new Promise<RestoreReply>((resolve) => worker.child.once('message', resolve));
    worker.child.send(request);
    const answer = await Promise.race([reply, exited.then(() => undefined, () => undefined)]);
    if (answer === undefined) {
      await exited;
      throw worker.failure('exited before answering');
    }
    if ('restored' in answer) {
      await exited;
      return answer;
    }
    await exited.catch(() => undefined);
    if ('failed' in answer) throw worker.failure(`failed, nothing was restored: ${answer.failed}`);
    return answer;
  });
}
