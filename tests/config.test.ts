import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readLiveConfig } from '../scripts/config/live.ts';
import { configToYaml, readConfigFile, type ConfigFile } from '../scripts/config/model.ts';
import { createDatabase, useBootedDatabase, withClient, type TestDatabase } from './support/databases.ts';
import { bootFully, login, restClient } from './support/directus.ts';
import { node, repoDir, run, type RunResult } from './support/run.ts';

// Roles, policies, permissions, flows and settings as code (snapshots/config.yaml): applied by step 3,
// guarded like the schema, captured and checked by the schema commands.
const admin = { email: 'admin@example.com', password: 'config-test-password' };
const directusEnv = { KEY: 'config-test-key-0123456789abcdef', SECRET: 'config-test-secret-0123456789abcdef', ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password };
const committed = path.join(repoDir, 'snapshots', 'config.yaml');

const liveConfig = (db: TestDatabase) => withClient(db.url, async (client) => (await readLiveConfig(client)).config);

// A dry-run boot with this configuration in place of the committed file.
async function bootWithConfig(env: Record<string, string>, config: ConfigFile): Promise<{ result: RunResult; file: string }> {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'trm-config-test-')), 'config.yaml');
  await writeFile(file, await configToYaml(config));
  return { result: await run('./entrypoint.sh', ['dry-run'], { ...env, CONFIG_SNAPSHOT_PATH: file }), file };
}

const schemaCommand = (env: Record<string, string>, script: string) => node(`scripts/${script}.ts`, [], env);

describe('a fresh database boots into exactly the committed configuration', () => {
  const booted = useBootedDatabase(directusEnv);

  it('holds the roles, policies, permissions, flows and settings of config.yaml, nothing more or less', async () => {
    expect(await liveConfig(booted().db)).toEqual(await readConfigFile(committed));
  });

  it('a second boot reports no change, and schema:check finds the configuration in sync', async () => {
    const second = await run('./entrypoint.sh', ['dry-run'], booted().env);
    expect(second.code, second.output).toBe(0);
    expect(second.stdout).toMatch(/step 3\/5 directus schema apply: skipped: .*; config\.yaml: no changes/);
    const check = await schemaCommand(booted().env, 'schema-check');
    expect(check.code, check.output).toBe(0);
    expect(check.stdout).toMatch(/and config\.yaml \(9 roles, 10 policies, \d+ permissions, 0 flows\)/);
  });
});

describe('configuration made in the admin UI', () => {
  const booted = useBootedDatabase(directusEnv);
  const dir = () => mkdtemp(path.join(tmpdir(), 'trm-config-test-'));
  let captured: string;
  let capturedSchema: string;
  const extra = { role: 'Press officer', policy: 'Press', flow: 'Notify timekeepers' };
  const allowAll = `policy:${extra.policy},role:${extra.role},flow:${extra.flow}`;

  beforeAll(async () => {
    const server = await bootFully(booted().env);
    try {
      const api = restClient(server.baseUrl, await login(server.baseUrl, admin.email, admin.password));
      const post = async (route: string, body: unknown) => {
        const response = await api<{ id: string }>('POST', route, body);
        expect(response.status, `${route}: ${JSON.stringify(response.body)}`).toBe(200);
        return response.body!.data!.id;
      };
      const policy = await post('/policies', { name: extra.policy, icon: 'newspaper', app_access: false, admin_access: false });
      await post('/permissions', { policy, collection: 'events', action: 'read', fields: ['*'] });
      await post('/roles', { name: extra.role, icon: 'campaign', policies: [{ policy, sort: 1 }] });
      const flow = await post('/flows', { name: extra.flow, status: 'active', trigger: 'manual', accountability: 'all', options: { collections: ['entries'] } });
      const log = await post('/operations', { flow, key: 'log', name: 'Log', type: 'log', position_x: 19, position_y: 1, options: { message: 'entry {{$trigger.body.keys}}' } });
      const done = await post('/operations', { flow, key: 'done', name: 'Done', type: 'log', position_x: 37, position_y: 1, options: { message: 'done' } });
      expect((await api('PATCH', `/operations/${log}`, { resolve: done })).status).toBe(200);
      expect((await api('PATCH', `/flows/${flow}`, { operation: log })).status).toBe(200);
      expect((await api('PATCH', '/settings', { project_name: 'TRM stage' })).status).toBe(200);
    } finally {
      server.child.kill('SIGTERM');
      await server.finished;
    }
    const into = await dir();
    captured = path.join(into, 'config.yaml');
    capturedSchema = path.join(into, 'schema.yaml');
    await copyFile(committed, captured);
    await copyFile(path.join(repoDir, 'snapshots', 'schema.yaml'), capturedSchema);
  });

  const withFiles = (config: string, more: Record<string, string> = {}) => ({ ...booted().env, CONFIG_SNAPSHOT_PATH: config, SNAPSHOT_PATH: capturedSchema, ...more });

  it('schema:check reports the drift: what applying config.yaml would delete and change, with the guard’s verdict', async () => {
    const check = await schemaCommand(booted().env, 'schema-check');
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/delete role +Press officer +\(0 users lose this role; refused by the deletion guard\)/);
    expect(check.stdout).toMatch(/delete policy +Press +\(1 permission, attached 1 time; refused by the deletion guard\)/);
    expect(check.stdout).toMatch(/delete flow +Notify timekeepers +\(2 operations; refused by the deletion guard\)/);
    expect(check.stdout).toMatch(/change settings +project settings\n.*project_name: "TRM stage" → "TRM"/);
    expect(check.stderr).toContain('differs from config.yaml');
  });

  it('a boot with the committed file refuses, names each item and how to allow it, and deletes nothing', async () => {
    const result = await run('./entrypoint.sh', ['dry-run'], booted().env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/applying schema\.yaml and config\.yaml would delete or lose data, so nothing was applied \(plan [0-9a-f]{12}\)/);
    expect(result.stderr).toContain(`DIRECTUS_SCHEMA_ALLOW_DELETE=${allowAll}`);
    expect(result.stdout).not.toContain('step 4/5');
    const live = await liveConfig(booted().db);
    expect(live.roles.map((role) => role.name)).toContain(extra.role);
    expect(live.settings['project_name']).toBe('TRM stage');
  });

  it('schema:snapshot captures it into config.yaml, byte for byte the same on a second capture', async () => {
    const first = await schemaCommand(withFiles(captured), 'schema-snapshot');
    expect(first.code, first.output).toBe(0);
    expect(first.stdout).toMatch(/create role +Press officer/);
    expect(first.stdout).toMatch(/create flow +Notify timekeepers/);
    expect(first.stdout).toMatch(/create operation +Notify timekeepers\/done/);
    const text = await readFile(captured, 'utf8');
    expect(text).toContain('- key: log');
    expect(text).toMatch(/- key: log\n {8}name: Log\n(.*\n)*? {8}resolve: done/);
    const second = await schemaCommand(withFiles(captured), 'schema-snapshot');
    expect(second.code, second.output).toBe(0);
    expect(second.stdout).toContain('config.yaml is unchanged (10 roles, 11 policies');
    expect(await readFile(captured, 'utf8')).toBe(text);
    // The captured files describe this database: a boot with them changes nothing.
    const boot = await run('./entrypoint.sh', ['dry-run'], withFiles(captured));
    expect(boot.code, boot.output).toBe(0);
    expect(boot.stdout).toContain('config.yaml: no changes');
  });

  it('the captured file gives another environment the same items, flows linked by key, not by id', async () => {
    const other = await createDatabase();
    try {
      const boot = await run('./entrypoint.sh', ['dry-run'], { ...other.env, ...directusEnv, CONFIG_SNAPSHOT_PATH: captured, SNAPSHOT_PATH: capturedSchema });
      expect(boot.code, boot.output).toBe(0);
      const there = await liveConfig(other);
      expect(there).toEqual(await readConfigFile(captured));
      expect(there.flows.find((flow) => flow.name === extra.flow)).toMatchObject({ operation: 'log', operations: [{ key: 'done' }, { key: 'log', resolve: 'done' }] });
      const [ids] = await other.query<{ here: string }>('SELECT string_agg(id::text, \',\') AS here FROM directus_flows');
      const [originalIds] = await booted().db.query<{ here: string }>('SELECT string_agg(id::text, \',\') AS here FROM directus_flows');
      expect(ids!.here).not.toBe(originalIds!.here);
    } finally {
      await other.drop();
    }
  });

  it('dry-run lists the deletions and changes nothing; naming them lets one boot delete exactly them', async () => {
    const dry = await run('./entrypoint.sh', ['dry-run'], { ...booted().env, DIRECTUS_SCHEMA_APPLY_MODE: 'dry-run' });
    expect(dry.code, dry.output).toBe(0);
    expect(dry.stdout).toMatch(/delete flow +Notify timekeepers +\(2 operations; refused by the deletion guard\)/);
    expect((await liveConfig(booted().db)).flows).toHaveLength(1);

    const allowed = await run('./entrypoint.sh', ['dry-run'], { ...booted().env, DIRECTUS_SCHEMA_ALLOW_DELETE: allowAll });
    expect(allowed.code, allowed.output).toBe(0);
    expect(allowed.stderr).toContain('applying what DIRECTUS_SCHEMA_ALLOW_DELETE allows to delete or lose');
    expect(allowed.stdout).toMatch(/config\.yaml: applied 4 changes \(1 changed, 3 deleted\)/);
    expect(await liveConfig(booted().db)).toEqual(await readConfigFile(committed));
    expect(await booted().db.query('SELECT count(*)::int AS n FROM directus_operations')).toEqual([{ n: 0 }]);
    const again = await run('./entrypoint.sh', ['dry-run'], booted().env);
    expect(again.stdout).toContain('config.yaml: no changes');
  });
});

describe('flows as code', () => {
  const booted = useBootedDatabase(directusEnv);

  it('rewires operations in place: successors swapped between two operations apply in one boot', async () => {
    const config = await readConfigFile(committed);
    const op = (key: string, resolve: string | null, x: number) => ({ key, name: key, type: 'log', position_x: x, position_y: 1, options: { message: key }, resolve, reject: null });
    const flow = (operations: ReturnType<typeof op>[]) => ({
      name: 'Chain', icon: 'link', color: null, description: null, status: 'active', trigger: 'manual',
      accountability: 'all', options: { collections: ['entries'] }, operation: 'a', operations,
    });
    const boot = async (operations: ReturnType<typeof op>[]) => {
      config.flows = [flow(operations)];
      const { result, file } = await bootWithConfig(booted().env, config);
      expect(result.code, result.output).toBe(0);
      expect(await liveConfig(booted().db)).toEqual(await readConfigFile(file));
      return result;
    };
    await boot([op('a', 'b', 19), op('b', 'c', 37), op('c', null, 55)]);
    const swapped = await boot([op('a', 'c', 19), op('b', null, 37), op('c', 'b', 55)]);
    expect(swapped.stdout).toMatch(/config\.yaml: applied 3 changes \(3 changed\)/);
    expect(await booted().db.query('SELECT count(*)::int AS n FROM directus_operations')).toEqual([{ n: 3 }]);
  });
});

describe('a configuration file that cannot be applied', () => {
  const booted = useBootedDatabase(directusEnv);

  it('fails step 3 naming the problem, and applies none of it', async () => {
    // A valid change to the settings, and a role that names a policy nobody defined.
    const config = await readConfigFile(committed);
    config.settings['project_name'] = 'Broken';
    config.roles.find((role) => role.name === 'Viewer')!.policies = ['Ghost policy'];
    const before = await liveConfig(booted().db);
    const { result } = await bootWithConfig(booted().env, config);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('applying config.yaml failed, nothing of it was applied: policy "Ghost policy" is named by a role or public access, but neither the file nor the database holds it');
    expect(await liveConfig(booted().db)).toEqual(before);
  });

  it('refuses to activate more flows than Directus allows without a licence, and warns of permission rules it would ignore', async () => {
    const config = await readConfigFile(committed);
    const flow = (n: number) => ({
      name: `Flow ${n}`, icon: null, color: null, description: null, status: 'active', trigger: 'manual',
      accountability: 'all', options: null, operation: null, operations: [],
    });
    config.flows = [1, 2, 3, 4, 5, 6].map(flow);
    const before = await liveConfig(booted().db);
    const { result: tooMany } = await bootWithConfig(booted().env, config);
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toContain('config.yaml activates 6 flows; Directus without a licence runs at most 5, so nothing was applied');
    expect(await liveConfig(booted().db)).toEqual(before);

    config.flows = [flow(1)];
    config.policies.find((policy) => policy.name === 'Timekeeping')!.permissions[0]!.fields = ['status'];
    const { result: filtered } = await bootWithConfig(booted().env, config);
    expect(filtered.code, filtered.output).toBe(0);
    expect(filtered.stderr).toContain('Directus without a licence ignores permission Timekeeping/entries.update (it has custom rules');
  });
});
