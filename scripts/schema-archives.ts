// `pnpm run schema:archives`: what step 3 archived before applying an allowed deletion, archive by
// archive (when, plan id, what, rows, size, what was restored since).
//   pnpm run schema:archives --prune <archive id> …      delete those archives for good
//   pnpm run schema:archives --prune --before <date>     delete every archive made before that date
// Nothing is ever pruned otherwise.
import { connectWithRetry } from './lib/connect.ts';
import { dbConfigFromEnv, describeTarget } from './lib/db-config.ts';
import { numberEnv, resolveConfiguration } from './lib/env.ts';
import { error, info, setLogPrefix } from './lib/log.ts';
import { describeItem } from './archive/model.ts';
import { listArchives, pruneArchives, type ArchiveSummary } from './archive/store.ts';

setLogPrefix('[schema]');

class UsageError extends Error {}

type Command = { list: true } | { prune: number[] } | { pruneBefore: Date };

function parse(argv: string[]): Command {
  if (argv.length === 0) return { list: true };
  if (argv[0] !== '--prune' || argv.length < 2) throw new UsageError(`unknown arguments "${argv.join(' ')}"`);
  if (argv[1] === '--before') {
    const before = new Date(argv[2] ?? '');
    if (argv.length !== 3 || Number.isNaN(before.getTime())) throw new UsageError('--prune --before takes one date, e.g. 2026-11-01');
    return { pruneBefore: before };
  }
  const ids = argv.slice(1).map(Number);
  if (ids.some((id) => !Number.isInteger(id) || id <= 0)) throw new UsageError(`--prune takes archive ids (numbers), got "${argv.slice(1).join(' ')}"`);
  return { prune: ids };
}

async function main(): Promise<number> {
  resolveConfiguration();
  const command = parse(process.argv.slice(2));
  const config = dbConfigFromEnv();
  const client = await connectWithRetry(config, numberEnv('DB_WAIT_TIMEOUT', 60));
  try {
    const archives = await listArchives(client);
    if ('list' in command) {
      if (archives.length === 0) info(`no archives in ${describeTarget(config)}: no boot has applied an allowed deletion`);
      else info(`${archives.length} archive(s) in ${describeTarget(config)}:`);
      for (const archive of archives) for (const line of describe(archive)) info(line);
      if (archives.length > 0) info('restore: pnpm run schema:restore <archive> [item …]; delete for good: pnpm run schema:archives --prune <archive> …');
      return 0;
    }
    const chosen = 'prune' in command ? command.prune : archives.filter((archive) => archive.archivedAt < command.pruneBefore).map((archive) => archive.id);
    const missing = chosen.filter((id) => !archives.some((archive) => archive.id === id));
    if (missing.length > 0) {
      error(`no archive ${missing.join(', ')} in ${describeTarget(config)}; nothing was pruned`);
      return 1;
    }
    await pruneArchives(client, chosen);
    for (const archive of archives.filter((candidate) => chosen.includes(candidate.id))) info(`pruned archive ${archive.id} (${archive.rows} rows, ${size(archive.bytes)})`);
    if (chosen.length === 0) info('no archive matched; nothing was pruned');
    return 0;
  } finally {
    await client.end();
  }
}

function describe(archive: ArchiveSummary): string[] {
  const when = archive.archivedAt.toISOString().replace('T', ' ').slice(0, 19);
  return [
    `  archive ${archive.id}  ${when} UTC  plan ${archive.planId}  Directus ${archive.directusVersion}  ${archive.items.length} item(s), ${archive.rows} row(s), ${size(archive.bytes)}`,
    ...archive.items.map((item) => {
      const restored = item.restoredAt ? `  restored ${item.restoredAt.toISOString().replace('T', ' ').slice(0, 19)} UTC` : '';
      return `    ${describeItem(item)}: ${item.action === 'delete' ? 'deleted' : 'changed'}, ${item.impact}${restored}`;
    }),
  ];
}

function size(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} kB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

try {
  process.exitCode = await main();
} catch (err) {
  error(`schema:archives failed: ${(err as Error).message}`);
  if (err instanceof UsageError) error('usage: pnpm run schema:archives [--prune <archive id> … | --prune --before <date>]');
  process.exitCode = err instanceof UsageError ? 2 : 1;
}
