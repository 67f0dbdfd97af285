import type { Accountability } from '../shared/directus.ts';
import { runAs, type ScopeResolver } from './scope.ts';

// Every read and write Directus makes for someone goes through its ItemsService (REST, GraphQL,
// WebSocket subscriptions and items, exports, nested writes) or its MetaService (meta counts). Each of
// their calls runs in the scope of the accountability the service was made with, so the statements it
// issues are narrowed for a person (session.ts) and not for Directus's own services, which carry none.
const ITEMS_METHODS = [
  'readByQuery', 'readSingleton', 'createOne', 'createMany', 'updateMany', 'updateBatch',
  'upsertOne', 'upsertMany', 'upsertSingleton', 'deleteMany',
];
const META_METHODS = ['getMetaForQuery'];

const WRAPPED = Symbol.for('trm-platform.scoped');

type Method = ((this: { accountability?: Accountability | null }, ...args: unknown[]) => Promise<unknown>) & { [WRAPPED]?: true };
type Prototype = Record<string, Method>;

export interface DirectusServices {
  ItemsService: { prototype: object };
  MetaService: { prototype: object };
}

export function scopeServiceCalls(services: DirectusServices, resolve: ScopeResolver): void {
  wrap(services.ItemsService.prototype as Prototype, ITEMS_METHODS, resolve);
  wrap(services.MetaService.prototype as Prototype, META_METHODS, resolve);
}

function wrap(prototype: Prototype, methods: string[], resolve: ScopeResolver): void {
  for (const name of methods) {
    const original = prototype[name];
    if (!original) throw new Error(`Directus has no ${name} any more: tenant scoping must be revisited for this version`);
    if (original[WRAPPED]) continue;
    const scoped: Method = async function (...args) {
      const scope = await resolve(this.accountability);
      return runAs(scope, () => original.apply(this, args));
    };
    scoped[WRAPPED] = true;
    prototype[name] = scoped;
  }
}
