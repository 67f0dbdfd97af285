import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoDir } from './run.ts';

// A folder of SQL files for the runner, named like the real ones so the guard rows read naturally.
export async function sqlFolder(name: string, files: Record<string, string>): Promise<string> {
  const dir = path.join(await mkdtemp(path.join(tmpdir(), 'trm-sql-')), name);
  await mkdir(dir);
  await Promise.all(Object.entries(files).map(([file, sql]) => writeFile(path.join(dir, file), sql)));
  return dir;
}

// The repository's own SQL files of a folder (db-init, db-init-post), as the runner applies them.
export async function committedSqlFiles(folder: string): Promise<string[]> {
  return (await readdir(path.join(repoDir, folder))).filter((name) => name.endsWith('.sql')).sort();
}
