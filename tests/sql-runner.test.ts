import { readdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDatabase, type TestDatabase } from './support/databases.ts';
import { freePort } from '../scripts/lib/ports.ts';
import { node, repoDir } from './support/run.ts';
import { sqlFolder } from './support/sql-folder.ts';

const dbInit = path.join(repoDir, 'scripts/db-init.ts');

let db: TestDatabase;
beforeEach(async () => {
  db = await createDatabase();
});
afterEach(async () => {
  await db.drop();
});

function runFolder(dir: string, env: Record<string, string> = {}) {
  return node(dbInit, [], { ...db.env, DB_INIT_DIR: dir, ...env });
}

async function guardRows() {
  return db.query<{ folder: string; filename: string; checksum: string; duration_ms: number }>(
    'SELECT folder, filename, checksum, duration_ms FROM migrations_applied ORDER BY folder, filename',
  );
}

async function tableExists(name: string): Promise<boolean> {
  const [row] = await db.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [name]);
  return row?.present === true;
}

describe('the SQL runner', () => {
  it('applies files in number order, each once, recording checksum, time and duration', async () => {
    const dir = await sqlFolder('db-init', {
      '002_second.sql': 'INSERT INTO seen VALUES (2);',
      '001_first.sql': 'CREATE TABLE seen (n int);\nINSERT INTO seen VALUES (1);',
      'README.md': 'not SQL, ignored',
    });
    const first = await runFolder(dir);
    expect(first.code, first.output).toBe(0);
    expect(first.stdout).toContain('applied 2 files, 0 already applied');
    const second = await runFolder(dir);
    expect(second.code, second.output).toBe(0);
    expect(second.stdout).toContain('applied 0 files, 2 already applied');
    expect(await db.query('SELECT n FROM seen ORDER BY n')).toEqual([{ n: 1 }, { n: 2 }]);
    const rows = await guardRows();
    expect(rows.map((row) => [row.folder, row.filename])).toEqual([
      ['db-init', '001_first.sql'],
      ['db-init', '002_second.sql'],
    ]);
    for (const row of rows) {
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.duration_ms).toBeGreaterThanOrEqual(0);
    }
  });

  it('stops at a failing file: names folder, file, line and SQLSTATE, rolls it back, runs nothing after it', async () => {
    const dir = await sqlFolder('db-init', {
      '001_ok.sql': 'CREATE TABLE before_failure (n int);',
      '002_broken.sql': [
        '-- creates a table, then fails on line 5',
        'CREATE TABLE half_done (n int);',
        'INSERT INTO half_done VALUES (1);',
        'SELECT n',
        '  FROM missing_table;',
      ].join('\n'),
      '003_later.sql': 'CREATE TABLE after_failure (n int);',
    });
    const result = await runFolder(dir);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('db-init/002_broken.sql:5');
    expect(result.stderr).toContain('SQLSTATE 42P01');
    expect(result.stderr).toContain('relation "missing_table" does not exist');
    expect(result.stderr).toContain('no guard row was written');
    expect(await tableExists('before_failure')).toBe(true);
    expect(await tableExists('half_done')).toBe(false);
    expect(await tableExists('after_failure')).toBe(false);
    expect((await guardRows()).map((row) => row.filename)).toEqual(['001_ok.sql']);
  });

  it('reports an error without a position at the line its statement starts', async () => {
    const dir = await sqlFolder('db-init', {
      '001_division.sql': 'CREATE TABLE t (n int);\n\nINSERT INTO t\n  SELECT 1 / 0;',
    });
    const result = await runFolder(dir);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('db-init/001_division.sql:3: SQLSTATE 22012');
    expect(await tableExists('t')).toBe(false);
  });

  it('finds a syntax error before applying any pending file', async () => {
    const dir = await sqlFolder('db-init', {
      '001_fine.sql': 'CREATE TABLE fine (n int);',
      '002_typo.sql': 'CREATE TABLE typo (n int);\nSELEC 1;',
    });
    const result = await runFolder(dir);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('db-init/002_typo.sql:2: SQLSTATE 42601: syntax error at or near "SELEC"');
    expect(await tableExists('fine')).toBe(false);
    expect(await guardRows()).toEqual([]);
  });

  it('refuses an applied file whose content changed, and accepts it only when told to', async () => {
    const dir = await sqlFolder('db-init', { '001_counter.sql': 'CREATE TABLE counter (n int);\nINSERT INTO counter VALUES (1);' });
    expect((await runFolder(dir)).code).toBe(0);
    const [before] = await guardRows();
    await writeFile(path.join(dir, '001_counter.sql'), 'CREATE TABLE counter (n int);\nINSERT INTO counter VALUES (1), (2);');

    const refused = await runFolder(dir);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('db-init/001_counter.sql: was changed after it was applied');
    expect(refused.stderr).toContain('DB_INIT_ACCEPT_CHANGED=db-init/001_counter.sql');
    expect(await guardRows()).toEqual([before]);

    const accepted = await runFolder(dir, { DB_INIT_ACCEPT_CHANGED: 'db-init/001_counter.sql' });
    expect(accepted.code, accepted.output).toBe(0);
    expect(accepted.stderr).toContain('new checksum accepted');
    const [after] = await guardRows();
    expect(after?.checksum).not.toBe(before?.checksum);
    expect(await db.query('SELECT n FROM counter')).toEqual([{ n: 1 }]);
    expect((await runFolder(dir)).code).toBe(0);
  });

  it('refuses duplicate numbers and misnamed files before touching the database', async () => {
    const duplicate = await runFolder(await sqlFolder('db-init', { '001_a.sql': 'SELECT 1;', '001_b.sql': 'SELECT 2;' }));
    expect(duplicate.code).not.toBe(0);
    expect(duplicate.stderr).toContain('duplicate numbers: 001_a.sql and 001_b.sql');
    const misnamed = await runFolder(await sqlFolder('db-init', { '1_a.sql': 'SELECT 1;' }));
    expect(misnamed.code).not.toBe(0);
    expect(misnamed.stderr).toContain('1_a.sql not named NNN_name.sql');
    expect(await tableExists('migrations_applied')).toBe(false);
  });

  it('keys the guard by folder, so both folders may hold the same file name', async () => {
    const pre = await sqlFolder('db-init', { '001_setup.sql': 'CREATE TABLE pre (n int);' });
    const post = await sqlFolder('db-init-post', { '001_setup.sql': 'CREATE TABLE post (n int);' });
    expect((await runFolder(pre)).code).toBe(0);
    const result = await runFolder(post);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain('db-init-post/: applied 1 file, 0 already applied');
    expect((await guardRows()).map((row) => `${row.folder}/${row.filename}`).sort()).toEqual([
      'db-init-post/001_setup.sql',
      'db-init/001_setup.sql',
    ]);
  });

  it('runs a no-transaction file outside a transaction, and refuses one with several statements', async () => {
    const dir = await sqlFolder('db-init', {
      '001_table.sql': 'CREATE TABLE big (n int);',
      '002_index.sql': '-- db-init: no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS big_n_idx ON big (n);',
    });
    const result = await runFolder(dir);
    expect(result.code, result.output).toBe(0);
    expect(await db.query("SELECT indexname FROM pg_indexes WHERE tablename = 'big'")).toEqual([{ indexname: 'big_n_idx' }]);

    const two = await runFolder(
      await sqlFolder('db-init-post', {
        '001_two.sql': '-- db-init: no-transaction\nCREATE INDEX CONCURRENTLY a ON big (n);\nCREATE INDEX CONCURRENTLY b ON big (n);',
      }),
    );
    expect(two.code).not.toBe(0);
    expect(two.stderr).toContain('must hold exactly one statement');
  });

  it('applies each file exactly once when three runners start together on a fresh database', async () => {
    const dir = await sqlFolder('db-init', {
      '001_slow.sql': 'CREATE TABLE runs (file text);\nSELECT pg_sleep(1);\nINSERT INTO runs VALUES (\'001\');',
      '002_concurrent_index.sql': '-- db-init: no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS runs_file_idx ON runs (file);',
      '003_after.sql': "INSERT INTO runs VALUES ('003');",
    });
    const results = await Promise.all([runFolder(dir), runFolder(dir), runFolder(dir)]);
    for (const result of results) expect(result.code, result.output).toBe(0);
    expect(results.map((result) => result.stdout).join('\n')).toContain('waiting for another instance');
    expect(await db.query('SELECT file FROM runs ORDER BY file')).toEqual([{ file: '001' }, { file: '003' }]);
    expect((await guardRows()).map((row) => row.filename)).toEqual([
      '001_slow.sql',
      '002_concurrent_index.sql',
      '003_after.sql',
    ]);
  });

  it('waits for a database that comes up late', async () => {
    const port = await freePort();
    const dir = await sqlFolder('db-init', { '001_late.sql': 'CREATE TABLE late (n int);' });
    const pending = runFolder(dir, { DB_PORT: String(port), DB_WAIT_TIMEOUT: '30' });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const proxy = await forward(port, db.env.DB_HOST, Number(db.env.DB_PORT));
    try {
      const result = await pending;
      expect(result.code, result.output).toBe(0);
      expect(result.stdout).toContain(`waiting for database ${db.env.DB_HOST}:${port}/${db.name}`);
      expect(await tableExists('late')).toBe(true);
    } finally {
      proxy.close();
    }
  });

  it('gives up on a database that never comes, naming host, port and the last error', async () => {
    const port = await freePort();
    const dir = await sqlFolder('db-init', { '001_never.sql': 'SELECT 1;' });
    const result = await runFolder(dir, { DB_PORT: String(port), DB_WAIT_TIMEOUT: '2' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`database ${db.env.DB_HOST}:${port}/${db.name} not reachable`);
    expect(result.stderr).toContain('ECONNREFUSED');
  });
});

// A database "coming up": a TCP forwarder to the real server that starts listening late.
async function forward(port: number, host: string, targetPort: number): Promise<net.Server> {
  const server = net.createServer((socket) => {
    const upstream = net.connect(targetPort, host);
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

describe('db-init/', () => {
  it('every file is idempotent on its own: running it again over the applied folder changes nothing', async () => {
    const dir = path.join(repoDir, 'db-init');
    const result = await node(dbInit, [], { ...db.env, DB_INIT_DIR: dir });
    expect(result.code, result.output).toBe(0);
    const catalogue = () =>
      db.query(`SELECT table_name, column_name, data_type, is_nullable, column_default
                  FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`);
    const before = await catalogue();
    for (const file of (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort()) {
      await db.query(await readFile(path.join(dir, file), 'utf8'));
    }
    expect(await catalogue()).toEqual(before);
  });
});
