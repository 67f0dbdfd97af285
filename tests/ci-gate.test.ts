import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { node, repoDir } from './support/run.ts';
import { committedSqlFiles } from './support/sql-folder.ts';

// `pnpm run ci:dry-run`, the image workflow's gate without Docker, run as .ci/run runs it.
const gate = (env: Record<string, string> = {}) => node('scripts/ci-dry-run.ts', [inject('pgUrl')], env);
const gateDatabases = (output: string) => [...output.matchAll(/throwaway database (trm_gate_[0-9a-f]+)/g)].map((m) => m[1]);

describe('the CI gate (pnpm run ci:dry-run)', () => {
  it('passes the committed repository: fresh boot to /server/ping, idempotent second boot, schema in sync, clean stop; then drops its database', async () => {
    const result = await gate();
    expect(result.code, result.output).toBe(0);
    const sqlFiles = (await committedSqlFiles('db-init')).length + (await committedSqlFiles('db-init-post')).length;
    expect(result.stdout).toMatch(new RegExp(`\\[gate\\] 1/4 a fresh database boots through steps 1–4 and answers /server/ping: pong on port \\d+; ${sqlFiles} SQL file\\(s\\) applied`));
    expect(result.stdout).toContain('[gate] 2/4 a second boot changes nothing: nothing applied, storage policies unchanged, bootstrap and apply skipped, config.yaml: no changes');
    expect(result.stdout).toContain("[gate] 3/4 the database equals snapshots/schema.yaml: no collection, field or relation to create, change or delete (Directus's diff of schema.yaml)");
    expect(result.stdout).toContain('[gate] 4/4 SIGTERM stops the server cleanly: exit 0');
    // One Directus load: the server of check 1 ran the steps; the second boot found nothing to load it for.
    expect(result.stdout.match(/step 5\/5 start: Directus serves on/g)).toHaveLength(1);
    expect(result.stdout).toMatch(/\[gate\] passed in \d+\.\d\d s/);
    const [database] = gateDatabases(result.stdout);
    expect(database).toBeDefined();
    const client = new pg.Client({ connectionString: inject('pgUrl') });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT datname FROM pg_database WHERE datname = $1', [database]);
      expect(rows).toEqual([]);
    } finally {
      await client.end();
    }
  });

  it('stops a snapshot holding a ghost of a db-init table at the first boot', async () => {
    const snapshot = parse(await readFile(path.join(repoDir, 'snapshots', 'schema.yaml'), 'utf8')) as {
      collections: Array<{ collection: string; meta: Record<string, unknown>; schema: Record<string, unknown> }>;
    };
    const template = snapshot.collections[0]!;
    // positions registered as a collection, as a developer's admin UI would capture it.
    snapshot.collections.push({ collection: 'positions', meta: { ...template.meta, collection: 'positions' }, schema: { name: 'positions' } });
    const ghost = path.join(await mkdtemp(path.join(tmpdir(), 'trm-gate-')), 'schema.yaml');
    await writeFile(ghost, stringify(snapshot));
    const result = await gate({ SNAPSHOT_PATH: ghost });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('ERROR step 3/5 directus schema apply failed');
    expect(result.stderr).toMatch(/\[gate\] ERROR 1\/4 a fresh database boots through steps 1–4 and answers \/server\/ping: FAILED after \d+\.\d\d s: \.\/entrypoint\.sh start exited with 1 before/);
    expect(result.stdout).not.toContain('[gate] 2/4');
  });

  it('refuses to ping a port another server already answers on', async () => {
    const impostor = createServer((_request, response) => response.end('pong'));
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
    const { port } = impostor.address() as AddressInfo;
    try {
      const result = await gate({ PORT: String(port) });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`[gate] ERROR 1/4 a fresh database boots through steps 1–4 and answers /server/ping: FAILED`);
      expect(result.stderr).toContain(`port ${port} is already in use by another server; free it or set PORT`);
      expect(result.stdout).not.toContain('[gate] 2/4');
    } finally {
      impostor.close();
    }
  });
});
