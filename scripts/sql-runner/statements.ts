import { parse, type SqlError } from 'libpg-query';

export interface Statement {
  sql: string;
  line: number;
}

// Splits a file with PostgreSQL's own parser (libpg_query), so dollar quotes, comments and
// strings are handled exactly as the server would, and every statement knows its first line.
// A syntax error is reported with its line before anything touches the database.
export async function splitStatements(sql: string): Promise<Statement[]> {
  const bytes = Buffer.from(sql, 'utf8');
  let result;
  try {
    result = await parse(sql);
  } catch (err) {
    const cursor = (err as SqlError).sqlDetails?.cursorPosition;
    throw new SyntaxErrorAt((err as Error).message, cursor === undefined ? undefined : lineAtByte(bytes, cursor));
  }
  return (result.stmts ?? []).map((stmt) => {
    const start = stmt.stmt_location ?? 0;
    const end = stmt.stmt_len ? start + stmt.stmt_len : bytes.length;
    const text = bytes.subarray(start, end).toString('utf8');
    const leading = text.length - text.trimStart().length;
    return { sql: text.trim(), line: lineAtByte(bytes, start) + countNewlines(text.slice(0, leading)) };
  });
}

export class SyntaxErrorAt extends Error {
  readonly line: number | undefined;

  constructor(message: string, line: number | undefined) {
    super(message);
    this.line = line;
  }
}

// The line of a 1-based character position the server reports inside one statement.
export function lineWithin(statement: Statement, position: number | undefined): number {
  if (position === undefined) return statement.line;
  return statement.line + countNewlines(statement.sql.slice(0, position - 1));
}

function lineAtByte(bytes: Buffer, offset: number): number {
  return countNewlines(bytes.subarray(0, offset).toString('utf8')) + 1;
}

function countNewlines(text: string): number {
  return text.split('\n').length - 1;
}
