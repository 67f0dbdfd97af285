import type { Accountability, SchemaOverview } from '@directus/types';

// The parts of Directus's extension context this bundle uses, typed as far as it uses them.
export type { Accountability, SchemaOverview };

// Directus's knex instance, or a transaction of it. On PostgreSQL `raw` answers pg's result: rows
// and rowCount. Lists travel as one comma-separated text: knex would spread an array binding.
export interface Database {
  raw: (sql: string, bindings?: unknown[]) => Promise<{ rows: Array<Record<string, unknown>>; rowCount: number | null }>;
  transaction: <T>(work: (trx: Database) => Promise<T>) => Promise<T>;
}

export interface ItemsService {
  readByQuery: (query: Record<string, unknown>) => Promise<unknown[]>;
  readOne: (key: string | number, query?: Record<string, unknown>) => Promise<unknown>;
  createOne: (data: Record<string, unknown>) => Promise<string | number>;
  updateByQuery: (query: Record<string, unknown>, data: Record<string, unknown>) => Promise<Array<string | number>>;
}
export type ServiceOptions = { schema: SchemaOverview; knex?: Database; accountability?: Accountability | null };
export interface Services {
  ItemsService: new (collection: string, options: ServiceOptions) => ItemsService;
  ActivityService: new (options: ServiceOptions) => ItemsService;
  RevisionsService: new (options: ServiceOptions) => ItemsService;
}

export interface Logger {
  info: (message: string) => void;
  warn: (message: string) => void;
  error: (message: string) => void;
}

export interface Context {
  services: Services;
  database: Database;
  env: Record<string, unknown>;
  logger: Logger;
  getSchema: (options?: { database?: Database }) => Promise<SchemaOverview>;
}
