import path from 'node:path';
import type pg from 'pg';
import { DatabaseError } from 'pg';
import { info, warn } from '../lib/log.ts';
import { SqlFileError } from './errors.ts';
import { readSqlFolder, type SqlFile } from './files.ts';
import { acceptChecksum, appliedFiles, ensureGuardTable, recordApplied } from './guard.ts';
import { lineWithin, splitStatements, SyntaxErrorAt, type Statement } from './statements.ts';

export interface FolderResult {
  folder: string;
  applied: string[];
  unchanged: number;
}

export interface ApplyOptions {
  // "folder/file" names whose changed content the operator accepts (DB_INIT_ACCEPT_CHANGED).
  acceptChanged: ReadonlySet<string>;
}

const FIX_AND_RETRY = 'Nothing of this file was applied and no guard row was written; fix the file and boot again.';
const OUTSIDE_TRANSACTION_ADVICE =
  'The statement ran outside a transaction (no-transaction file) and no guard row was written; drop any index it left INVALID, fix the file and boot again.';

// Applies the folder's pending files in order, each in one transaction with its guard row.
// The caller holds the boot lock.
export async function applyFolder(client: pg.Client, dir: string, options: ApplyOptions): Promise<FolderResult> {
  const folder = path.basename(path.resolve(dir));
  const files = await readSqlFolder(dir);
  await ensureGuardTable(client);
  const applied = await appliedFiles(client, folder);

  await checkApplied(client, folder, files, applied, options);

  // Every pending file is parsed before the first one runs: a syntax error in the third file
  // stops the boot before the first two are applied.
  const pending = await Promise.all(
    files.filter((file) => !applied.has(file.name)).map(async (file) => ({ file, statements: await parse(folder, file) })),
  );
  const lastApplied = Math.max(-1, ...files.filter((file) => applied.has(file.name)).map((file) => file.number));
  for (const { file, statements } of pending) {
    if (file.number < lastApplied) warn(`${folder}/${file.name} is numbered before files already applied; applying it now`);
    const started = performance.now();
    await runFile(client, folder, file, statements);
    info(`  ${folder}/${file.name} applied (${Math.round(performance.now() - started)} ms)`);
  }
  return { folder, applied: pending.map(({ file }) => file.name), unchanged: files.length - pending.length };
}

async function parse(folder: string, file: SqlFile): Promise<Statement[]> {
  let statements: Statement[];
  try {
    statements = await splitStatements(file.sql);
  } catch (err) {
    if (!(err instanceof SyntaxErrorAt)) throw err;
    throw new SqlFileError(folder, file.name, err.line, '42601', err.message, FIX_AND_RETRY);
  }
  if (!file.transactional && statements.length !== 1) {
    throw new SqlFileError(
      folder,
      file.name,
      undefined,
      undefined,
      `declares "-- db-init: no-transaction" but holds ${statements.length} statements`,
      'A file that runs outside a transaction must hold exactly one statement, so a failure cannot leave half of it applied; split it into several files.',
    );
  }
  return statements;
}

// An applied file must not change under our feet: its effects are already in the database and a
// new file is the way to change them. DB_INIT_ACCEPT_CHANGED records the new checksum deliberately.
async function checkApplied(
  client: pg.Client,
  folder: string,
  files: SqlFile[],
  applied: Map<string, { checksum: string }>,
  options: ApplyOptions,
): Promise<void> {
  const onDisk = new Set(files.map((file) => file.name));
  for (const name of applied.keys()) {
    if (!onDisk.has(name)) warn(`${folder}/${name} was applied earlier but is no longer in the folder`);
  }
  const changed = files.filter((file) => {
    const row = applied.get(file.name);
    return row !== undefined && row.checksum !== file.checksum;
  });
  for (const file of changed) {
    const key = `${folder}/${file.name}`;
    if (!options.acceptChanged.has(key)) {
      throw new SqlFileError(
        folder,
        file.name,
        undefined,
        undefined,
        'was changed after it was applied (checksum differs from migrations_applied)',
        `Revert the edit and put the change in a new file; or, if the edit is deliberate and the database already matches it, boot once with DB_INIT_ACCEPT_CHANGED=${key} to record the new checksum (the file is not re-run).`,
      );
    }
    await acceptChecksum(client, folder, file.name, file.checksum);
    warn(`${key} changed after it was applied; new checksum accepted via DB_INIT_ACCEPT_CHANGED (not re-run)`);
  }
}

// One transaction for the file and its guard row; a no-transaction file holds a single statement,
// so it too is either applied and recorded, or neither.
async function runFile(client: pg.Client, folder: string, file: SqlFile, statements: Statement[]): Promise<void> {
  const started = performance.now();
  if (!file.transactional) {
    await execute(client, folder, file, statements[0]!, OUTSIDE_TRANSACTION_ADVICE);
    await recordApplied(client, folder, file.name, file.checksum, performance.now() - started);
    return;
  }
  await client.query('BEGIN');
  try {
    for (const statement of statements) await execute(client, folder, file, statement, FIX_AND_RETRY);
    await recordApplied(client, folder, file.name, file.checksum, performance.now() - started);
    await client.query('COMMIT');
  } catch (err) {
    // A lost connection rolls back by itself; keep the error that says what went wrong.
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function execute(client: pg.Client, folder: string, file: SqlFile, statement: Statement, advice: string) {
  try {
    await client.query(statement.sql);
  } catch (err) {
    if (!(err instanceof DatabaseError)) throw err;
    const position = err.position === undefined ? undefined : Number(err.position);
    // Where a function RAISEd on purpose its message says it all; the PL/pgSQL frame is noise.
    const frame = err.where?.split('\n')[0];
    const context = frame && !frame.endsWith(' at RAISE') ? ` (${frame})` : '';
    // DETAIL and HINT carry what an operator needs to act on, e.g. every duplicate a UNIQUE would hit.
    const detail = err.detail ? `\n${indent(err.detail)}` : '';
    const hint = err.hint ? `\n  HINT: ${err.hint}` : '';
    throw new SqlFileError(folder, file.name, lineWithin(statement, position), err.code, `${err.message}${context}${detail}${hint}`, advice);
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
