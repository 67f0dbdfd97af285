import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { answersPing } from '../scripts/lib/ping.ts';
import { useBootedDatabase } from './support/databases.ts';
import { bootFully, type RunningBoot } from './support/directus.ts';

const secrets = { KEY: 'two-boots-key-0123456789abcdef', SECRET: 'two-boots-secret-0123456789abcdef', ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'two-boots-password' };

const pm2HomeOf = (output: string) => /handing over to pm2-runtime after \d+\.\d\d s \(PM2_HOME ([^)]+)\)/.exec(output)?.[1];

async function stop(boot: RunningBoot): Promise<string> {
  boot.child.kill('SIGTERM');
  const result = await boot.finished;
  expect(result.code, result.output).toBe(0);
  return result.output;
}

// Two checkouts, or `pnpm dev` next to `./entrypoint.sh start`: a pm2-runtime on the other's pm2 home
// attaches to its daemon and stops or restarts its app.
describe('two native boots on one machine', () => {
  const booted = useBootedDatabase(secrets);

  it('each get a pm2 home of their own, and both keep serving when the second starts and when one stops', async () => {
    // A HOME of the test's own: were the boots to share ~/.pm2, they would share this one, not the developer's.
    const home = await mkdtemp(path.join(tmpdir(), 'trm-home-'));
    const env = { ...booted().env, HOME: home };
    const first = await bootFully(env, { testPm2Home: false });
    let second: RunningBoot | undefined;
    try {
      second = await bootFully(env, { testPm2Home: false });
      // pm2 would act on the first one's app as the second one's starts: give it the time it takes.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(await answersPing(first.baseUrl)).toBe(true);
      expect(await answersPing(second.baseUrl)).toBe(true);
      const secondOutput = await stop(second);
      second = undefined;
      expect(await answersPing(first.baseUrl)).toBe(true);
      expect(first.child.exitCode).toBeNull();
      const firstOutput = await stop(first);
      const homes = [pm2HomeOf(firstOutput), pm2HomeOf(secondOutput)];
      for (const pm2Home of homes) expect(pm2Home).toMatch(new RegExp(`^${tmpdir()}/trm-pm2-`));
      expect(homes[0]).not.toBe(homes[1]);
      expect(existsSync(path.join(home, '.pm2'))).toBe(false);
      // The first one's app was never stopped or restarted by the second one's pm2.
      expect(firstOutput.match(/App \[directus:0\] starting/g)).toHaveLength(1);
    } finally {
      if (second) await stop(second);
      if (first.child.exitCode === null) first.child.kill('SIGTERM');
    }
  });

  it('a PM2_HOME the operator names is the one used', async () => {
    const pm2Home = await mkdtemp(path.join(tmpdir(), 'trm-operator-pm2-'));
    const boot = await bootFully({ ...booted().env, PM2_HOME: pm2Home }, { testPm2Home: false });
    expect(pm2HomeOf(await stop(boot))).toBe(pm2Home);
    expect(existsSync(path.join(pm2Home, 'logs'))).toBe(true);
  });
});
