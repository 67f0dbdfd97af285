import type pg from 'pg';

// SQL written for pg ($1, $2 …) run on Directus's knex, whose raw() takes `?` for a binding: the
// archive's statements inside Directus's own transaction (the apply of step 3, a restore). Outside
// quoted identifiers and string literals, $n becomes `?`; a `?` anywhere is escaped, since knex reads
// one even inside quotes (a column named "legacy?").
export interface KnexRaw {
  raw: (sql: string, bindings?: unknown[]) => Promise<{ rows: pg.QueryResultRow[]; rowCount: number | null }>;
}

export interface SqlClient {
  query: <R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<{ rows: R[]; rowCount: number | null }>;
}

export function sqlOnKnex(knex: KnexRaw): SqlClient {
  return {
    query: async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) => {
      const { sql, bindings } = toKnex(text, values);
      const result = await knex.raw(sql, bindings);
      return { rows: result.rows as R[], rowCount: result.rowCount };
    },
  };
}

export function toKnex(text: string, values: unknown[]): { sql: string; bindings: unknown[] } {
  const bindings: unknown[] = [];
  let sql = '';
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i]!;
    if (quote) {
      // A doubled quote inside a quoted part is the quote itself.
      if (char === quote && text[i + 1] === quote) {
        sql += char + char;
        i += 1;
        continue;
      }
      if (char === quote) quote = undefined;
      sql += char === '?' ? '\\?' : char;
      continue;
    }
    if (char === '"' || char === "'") quote = char;
    const placeholder = char === '$' ? /^\$(\d+)/.exec(text.slice(i)) : null;
    if (placeholder) {
      bindings.push(values[Number(placeholder[1]) - 1]);
      sql += '?';
      i += placeholder[0].length - 1;
    } else {
      sql += char === '?' ? '\\?' : char;
    }
  }
  return { sql, bindings };
}
