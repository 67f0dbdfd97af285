import type { TestDatabase } from './databases.ts';

// What a booted database holds, in a form two boots can be compared by: every table's columns,
// constraints, indexes, triggers and policies, the functions of the schemas the SQL folders own, and
// every row, less what differs between any two boots by nature (ids, times, password hashes, how long
// a file took), sorted so that order of insertion does not count.
const VOLATILE_TYPES = ['uuid', 'timestamp with time zone', 'timestamp without time zone', 'date'];
const VOLATILE_NAMES = /^(password|token|duration_ms|timestamp)$/;
const SCHEMAS = ['public', 'tenant', 'db_init', 'schema_archive'];

export interface DatabaseContents {
  columns: string[];
  constraints: string[];
  indexes: string[];
  triggers: string[];
  policies: string[];
  functions: string[];
  rows: Record<string, string[]>;
}

export async function databaseContents(db: TestDatabase): Promise<DatabaseContents> {
  const lines = async (sql: string) => (await db.query(sql, [SCHEMAS])).map((row) => String(row['line'])).sort();
  const columns = await db.query(
    `SELECT table_schema, table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
      WHERE table_schema = ANY($1) ORDER BY table_schema, table_name, ordinal_position`,
    [SCHEMAS],
  );
  const tables = new Map<string, Array<{ name: string; type: string }>>();
  for (const c of columns) {
    const table = `${String(c['table_schema'])}.${String(c['table_name'])}`;
    if (!tables.has(table)) tables.set(table, []);
    tables.get(table)!.push({ name: String(c['column_name']), type: String(c['data_type']) });
  }
  const rows: Record<string, string[]> = {};
  for (const [table, cols] of tables) {
    const kept = cols.filter((c) => !VOLATILE_TYPES.includes(c.type) && !VOLATILE_NAMES.test(c.name)).map((c) => `"${c.name}"`);
    const [schema, name] = table.split('.') as [string, string];
    const relkind = (await db.query(`SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`, [schema, name]))[0]?.['relkind'];
    if (relkind !== 'r' && relkind !== 'p') continue;
    const select = kept.length > 0 ? `SELECT to_jsonb(t) AS line FROM (SELECT ${kept.join(', ')} FROM "${schema}"."${name}") t` : `SELECT '{}'::jsonb AS line FROM "${schema}"."${name}"`;
    rows[table] = (await db.query(select)).map((row) => JSON.stringify(row['line'])).sort();
  }
  return {
    columns: columns.map((c) => [c['table_schema'], c['table_name'], c['column_name'], c['data_type'], c['is_nullable'], c['column_default']].join(' ')).sort(),
    constraints: await lines(
      `SELECT n.nspname || '.' || r.relname || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid) AS line
         FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace WHERE n.nspname = ANY($1)`,
    ),
    indexes: await lines(`SELECT schemaname || '.' || tablename || ' ' || indexdef AS line FROM pg_indexes WHERE schemaname = ANY($1)`),
    triggers: await lines(
      `SELECT n.nspname || '.' || r.relname || ' ' || pg_get_triggerdef(t.oid) AS line
         FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid JOIN pg_namespace n ON n.oid = r.relnamespace WHERE NOT t.tgisinternal AND n.nspname = ANY($1)`,
    ),
    policies: await lines(`SELECT schemaname || '.' || tablename || ' ' || policyname || ' ' || cmd || ' ' || coalesce(qual, '') || ' ' || coalesce(with_check, '') AS line FROM pg_policies WHERE schemaname = ANY($1)`),
    functions: await lines(
      `SELECT n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') ' || md5(pg_get_functiondef(p.oid)) AS line
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = ANY($1) AND n.nspname <> 'public' AND p.prokind IN ('f', 'p')`,
    ),
    rows,
  };
}
