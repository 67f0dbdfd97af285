import type pg from 'pg';
import { ConfigError } from '../../lib/env.ts';
import { warn } from '../../lib/log.ts';

// Step 1's second half: TimescaleDB's policies on positions. The columnstore policy converts chunks
// older than POSITIONS_COMPRESS_AFTER to compressed form; the retention policy drops chunks older
// than POSITIONS_DROP_AFTER (off unless set). How long is a deployment's choice, so these are
// settings applied on every boot, not SQL files (applied once, never changed): a changed setting
// replaces its policy, an unchanged one leaves it alone. The columnstore itself is db-init/006.
export interface StorageSettings {
  compressAfter: Duration | undefined;
  dropAfter: Duration | undefined;
}

interface Duration {
  // As PostgreSQL reads it: "2 days", "12 hours".
  text: string;
  // Only to compare the two settings (a month counted as 30 days).
  seconds: number;
}

export const DEFAULT_COMPRESS_AFTER = '2 days';
const DURATION = /^(\d+)\s*(hour|day|week|month|year)s?$/i;
const UNIT_SECONDS: Record<string, number> = { hour: 3600, day: 86_400, week: 604_800, month: 2_592_000, year: 31_557_600 };

export function storageSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): StorageSettings {
  const compressAfter = duration(env, 'POSITIONS_COMPRESS_AFTER', DEFAULT_COMPRESS_AFTER);
  const dropAfter = duration(env, 'POSITIONS_DROP_AFTER', 'off');
  if (compressAfter && dropAfter && dropAfter.seconds <= compressAfter.seconds) {
    throw new ConfigError(
      `POSITIONS_DROP_AFTER (${dropAfter.text}) must be longer than POSITIONS_COMPRESS_AFTER (${compressAfter.text}): positions would be dropped before they are compressed`,
    );
  }
  return { compressAfter, dropAfter };
}

function duration(env: NodeJS.ProcessEnv, name: string, fallback: string): Duration | undefined {
  const raw = (env[name] || fallback).trim();
  if (raw.toLowerCase() === 'off') return undefined;
  const match = DURATION.exec(raw);
  const count = Number(match?.[1]);
  if (!match || count === 0) {
    throw new ConfigError(`${name}="${raw}" is not a duration: use a whole number of hours, days, weeks, months or years ("2 days", "12 hours", "1 year"), or off`);
  }
  const unit = match[2]!.toLowerCase();
  return { text: `${count} ${unit}${count === 1 ? '' : 's'}`, seconds: count * UNIT_SECONDS[unit]! };
}

interface Policy {
  name: 'compression' | 'retention';
  setting: keyof StorageSettings;
  job: string;
  configKey: string;
  add: string;
  remove: string;
}

const POLICIES: Policy[] = [
  {
    name: 'compression',
    setting: 'compressAfter',
    job: 'policy_compression',
    configKey: 'compress_after',
    add: `CALL add_columnstore_policy('positions', after => $1::interval)`,
    remove: `CALL remove_columnstore_policy('positions')`,
  },
  {
    name: 'retention',
    setting: 'dropAfter',
    job: 'policy_retention',
    configKey: 'drop_after',
    add: `SELECT add_retention_policy('positions', drop_after => $1::interval)`,
    remove: `SELECT remove_retention_policy('positions')`,
  },
];

// Both policies in one transaction: a failure leaves the previous ones in place.
export async function positionsStorage(client: pg.Client, settings: StorageSettings): Promise<string> {
  await requireColumnstore(client);
  const outcomes: string[] = [];
  let changed = false;
  await client.query('BEGIN');
  try {
    for (const policy of POLICIES) {
      const wanted = settings[policy.setting];
      const current = await currentPolicy(client, policy, wanted);
      if (current === undefined && wanted === undefined) {
        outcomes.push(`${policy.name} off`);
      } else if (current?.same) {
        outcomes.push(`${policy.name} after ${wanted!.text}`);
      } else {
        changed = true;
        if (current) await client.query(policy.remove);
        if (wanted) await client.query(policy.add, [wanted.text]);
        outcomes.push(`${policy.name} ${wanted ? `after ${wanted.text}` : 'off'} (${current ? `was after ${current.after}` : 'policy added'}${wanted ? '' : ', policy removed'})`);
      }
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  if (changed && settings.dropAfter) await warnOfDrops(client, settings.dropAfter);
  return `positions storage ${changed ? 'set' : 'unchanged'}: ${outcomes.join(', ')}`;
}

async function requireColumnstore(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ compression_enabled: boolean }>(
    `SELECT compression_enabled FROM timescaledb_information.hypertables
      WHERE hypertable_schema = current_schema() AND hypertable_name = 'positions'`,
  );
  if (rows.length === 0) throw new Error('positions is not a hypertable, so no storage policy can be set (db-init/002 makes it one)');
  if (!rows[0]!.compression_enabled) throw new Error('positions has no columnstore, so no compression policy can be set (db-init/006 enables it)');
}

// The policy's job as TimescaleDB keeps it, compared with the setting as PostgreSQL reads intervals.
async function currentPolicy(client: pg.Client, policy: Policy, wanted: Duration | undefined): Promise<{ after: string; same: boolean } | undefined> {
  const { rows } = await client.query<{ after: string; same: boolean | null }>(
    `SELECT config->>$2 AS after, (config->>$2)::interval::text = $3::interval::text AS same
       FROM timescaledb_information.jobs
      WHERE hypertable_schema = current_schema() AND hypertable_name = 'positions' AND proc_name = $1`,
    [policy.job, policy.configKey, wanted?.text ?? null],
  );
  const row = rows[0];
  return row && { after: row.after, same: row.same === true };
}

async function warnOfDrops(client: pg.Client, dropAfter: Duration): Promise<void> {
  const { rows } = await client.query<{ chunks: number }>(`SELECT count(*)::int AS chunks FROM show_chunks('positions', older_than => $1::interval)`, [dropAfter.text]);
  const chunks = rows[0]!.chunks;
  if (chunks > 0) warn(`POSITIONS_DROP_AFTER=${dropAfter.text}: the retention policy's next run (daily) drops the ${chunks} positions chunk(s) older than that now`);
}
