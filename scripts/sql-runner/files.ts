import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { SqlFolderError } from './errors.ts';

export interface SqlFile {
  name: string;
  number: number;
  sql: string;
  checksum: string;
  transactional: boolean;
}

const FILE_NAME = /^(\d{3})_[a-z0-9][a-z0-9_]*\.sql$/;
// A file opts out of the per-file transaction with this line, for statements PostgreSQL or
// TimescaleDB refuse inside one (CREATE INDEX CONCURRENTLY, ... WITH (timescaledb.transaction_per_chunk)).
const NO_TRANSACTION = /^--\s*db-init:\s*no-transaction\s*$/m;

// The folder's NNN_name.sql files in number order. Misnamed .sql files and duplicate numbers are
// errors: silently skipping or reordering a migration is worse than refusing to boot.
export async function readSqlFolder(dir: string): Promise<SqlFile[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    throw new SqlFolderError(`cannot read SQL folder ${dir}: ${(err as Error).message}`);
  }
  const misnamed = entries.filter((name) => name.endsWith('.sql') && !FILE_NAME.test(name));
  if (misnamed.length > 0) {
    throw new SqlFolderError(
      `${path.basename(dir)}: ${misnamed.join(', ')} not named NNN_name.sql (three digits, lower-case name)`,
    );
  }
  const names = entries.filter((name) => FILE_NAME.test(name)).sort();
  const byNumber = Map.groupBy(names, (name) => name.slice(0, 3));
  const duplicates = [...byNumber.values()].filter((group) => group.length > 1);
  if (duplicates.length > 0) {
    throw new SqlFolderError(
      `${path.basename(dir)}: duplicate numbers: ${duplicates.map((group) => group.join(' and ')).join('; ')}`,
    );
  }
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name), 'utf8');
      return {
        name,
        number: Number(name.slice(0, 3)),
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
        transactional: !NO_TRANSACTION.test(sql),
      };
    }),
  );
}
