import pg from 'pg';
import type { Risk } from './guard.ts';
import type { PlannedChange, PropertyEdit } from './plan.ts';

// Which planned changes delete something or lose stored values, with what they would cost in this
// database's rows. Every deletion is a risk, however empty its table; a column change is one only
// when rows hold values it would convert, truncate, round or refuse.
export async function assessRisks(client: pg.Client, changes: PlannedChange[]): Promise<Risk[]> {
  const risks: Risk[] = [];
  for (const change of changes) {
    if (change.action === 'delete') risks.push({ change, impact: await deletionImpact(client, change) });
    else {
      const loss = await lossyImpact(client, change);
      if (loss !== undefined) risks.push({ change, ...loss });
    }
  }
  return risks;
}

// Type changes that keep every value as it is: anything else converts stored values.
const WIDENINGS = new Set(['integer>bigInteger', 'string>text']);

async function deletionImpact(client: pg.Client, change: PlannedChange): Promise<string> {
  switch (change.kind) {
    case 'collection':
      return (await tableExists(client, change.collection))
        ? `table holds ${plural(await count(client, change.collection, 'true'), 'row')}`
        : 'no table (a folder)';
    case 'field':
      return (await columnExists(client, change))
        ? `${rowsHold(await count(client, change.collection, `${column(change)} IS NOT NULL`))} a value`
        : 'no column (an alias)';
    case 'relation':
      return 'its metadata and foreign key';
    case 'system field':
      return 'its setting on a system table';
    default:
      throw new Error(`${change.kind} ${change.name} is not a schema change (scripts/config/risks.ts judges those)`);
  }
}

async function lossyImpact(client: pg.Client, change: PlannedChange): Promise<{ impact: string; losing: string } | undefined> {
  if (change.kind !== 'field' || change.action !== 'change' || !(await columnExists(client, change))) return undefined;
  const table = change.collection;
  const col = column(change);
  const edit = (path: string): PropertyEdit | undefined => change.edits.find((candidate) => candidate.path === path);
  const losses: string[] = [];
  const losing: string[] = [];
  const note = async (condition: string, describe: (n: number) => string) => {
    const n = await count(client, table, condition);
    if (n > 0) {
      losses.push(describe(n));
      losing.push(`(${condition})`);
    }
  };

  const type = edit('type');
  if (type && !WIDENINGS.has(`${String(type.before)}>${String(type.after)}`)) {
    await note(`${col} IS NOT NULL`, (n) => `type ${String(type.before)} → ${String(type.after)} converts ${plural(n, 'stored value')}`);
  }
  const length = edit('schema.max_length');
  if (length && typeof length.after === 'number' && (typeof length.before !== 'number' || length.before > length.after)) {
    await note(`length(${col}::text) > ${length.after}`, (n) => `max_length ${String(length.before)} → ${length.after} truncates ${plural(n, 'value')}`);
  }
  const scale = edit('schema.numeric_scale');
  if (scale && typeof scale.after === 'number' && typeof scale.before === 'number' && scale.before > scale.after) {
    await note(`${col}::numeric <> round(${col}::numeric, ${scale.after})`, (n) => `numeric_scale ${scale.before} → ${scale.after} rounds ${plural(n, 'value')}`);
  }
  const nullable = edit('schema.is_nullable');
  if (nullable && nullable.before === true && nullable.after === false) {
    await note(`${col} IS NULL`, (n) => `made required while ${rowsHold(n)} null`);
  }
  return losses.length > 0 ? { impact: losses.join('; '), losing: losing.join(' OR ') } : undefined;
}

async function count(client: pg.Client, table: string, condition: string): Promise<number> {
  const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${pg.escapeIdentifier(table)} WHERE ${condition}`);
  return rows[0]?.n ?? 0;
}

async function tableExists(client: pg.Client, table: string): Promise<boolean> {
  const { rows } = await client.query('SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = $1', [table]);
  return rows.length > 0;
}

async function columnExists(client: pg.Client, change: PlannedChange): Promise<boolean> {
  const { rows } = await client.query(
    'SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2',
    [change.collection, change.field],
  );
  return rows.length > 0;
}

function column(change: PlannedChange): string {
  return pg.escapeIdentifier(change.field ?? '');
}

function rowsHold(n: number): string {
  return n === 1 ? '1 row holds' : `${n} rows hold`;
}

export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
