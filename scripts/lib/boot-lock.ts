import type pg from 'pg';
import { info } from './log.ts';

// Replicas booting together take turns through a session-level advisory lock held over steps 1–4
// (concurrent `directus bootstrap` runs corrupt its migrations). Waiters poll pg_try_advisory_lock
// instead of blocking in pg_advisory_lock: a blocked waiter holds an open transaction, and
// CREATE INDEX CONCURRENTLY in the holder would wait for it forever. The lock is re-entrant within
// the session, so the SQL runner takes it again inside the boot without harm.
const LOCK_CLASS = 0x74726d; // "trm"
const LOCK_ID = 1;

export class LockTimeoutError extends Error {}

export async function withBootLock<T>(client: pg.Client, timeoutSeconds: number, work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let delay = 100;
  let announced = false;
  while (!(await tryLock(client))) {
    if (!announced) {
      info(`waiting for another instance that holds the boot lock (${await holder(client)})`);
      announced = true;
    }
    if (Date.now() + delay > deadline) {
      throw new LockTimeoutError(
        `boot lock still held after ${timeoutSeconds} s (BOOT_LOCK_TIMEOUT) by ${await holder(client)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 1000);
  }
  try {
    return await work();
  } finally {
    // On a lost connection the server has already released the lock with the session.
    await client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_CLASS, LOCK_ID]).catch(() => undefined);
  }
}

async function tryLock(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [
    LOCK_CLASS,
    LOCK_ID,
  ]);
  return rows[0]?.locked === true;
}

async function holder(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ pid: number; application_name: string; client_addr: string | null }>(
    `SELECT a.pid, a.application_name, host(a.client_addr) AS client_addr
       FROM pg_locks l JOIN pg_stat_activity a USING (pid)
      WHERE l.locktype = 'advisory' AND l.classid = $1 AND l.objid = $2 AND l.granted`,
    [LOCK_CLASS, LOCK_ID],
  );
  const row = rows[0];
  return row ? `backend pid ${row.pid}, ${row.application_name || 'unnamed'} from ${row.client_addr ?? 'local socket'}` : 'an instance that has since released it';
}
