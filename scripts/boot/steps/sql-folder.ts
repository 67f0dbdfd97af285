import type pg from 'pg';
import { runSqlFolder } from '../../sql-runner/run-sql-folder.ts';

// Steps 1 and 4: the same runner, pointed at db-init/ (before Directus) or db-init-post/ (after it).
export async function sqlFolder(client: pg.Client, dir: string): Promise<string> {
  const result = await runSqlFolder(client, dir);
  const applied = result.applied.length;
  return `${result.folder}/: applied ${applied} file${applied === 1 ? '' : 's'}, ${result.unchanged} already applied`;
}
