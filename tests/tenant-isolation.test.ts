import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiResponse, type RunningBoot } from './support/directus.ts';
import { newRow } from './support/payloads.ts';
import { useTenantPlatform } from './support/platform.ts';
import { fieldsAlong, filterAlong, loadSchemaModel, type SchemaModel, type Step } from './support/schema-model.ts';
import { leaks, ORG_ROLES, seedTenants, spellings, unknownId, type OrgRole, type Person, type TenantFixture } from './support/tenant-fixture.ts';
import { type Api } from './support/tenants.ts';
import { graphqlSocket, restSocket, type Socket } from './support/websocket.ts';

// The generated attack: from snapshots/schema.yaml, every collection and every relational path up to
// depth 3 (many-to-one, one-to-many and $FOLLOW), read, filtered, counted, aggregated, searched,
// exported and queried through GraphQL by each of Alpha's people, a stranger and a former member of
// Bravo; every write that could point at a row of Bravo or change one, on every route Directus offers,
// with ids in every spelling Directus accepts; and subscriptions on both WebSocket channels. Real
// Directus with the built extensions, real PostgreSQL with the repository's SQL, real WebSockets.
const COMMANDING: OrgRole[] = ['org-admin', 'race-director', 'marshal'];

async function inBatches<T>(tasks: Array<() => Promise<T>>, size = 8): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < tasks.length; i += size) results.push(...(await Promise.all(tasks.slice(i, i + size).map((task) => task()))));
  return results;
}

const query = (params: Record<string, unknown>) =>
  Object.entries(params)
    .map(([key, value]) => `${key}=${encodeURIComponent(typeof value === 'string' ? value : JSON.stringify(value))}`)
    .join('&');

describe('tenant isolation, attacked on every surface', () => {
  const platform = useTenantPlatform('attack');
  let server: RunningBoot;
  let asAdmin: Api;
  let f: TenantFixture;
  let model: SchemaModel;
  let attackers: Array<{ name: string; person: Person; role?: OrgRole }>;

  beforeAll(async () => {
    ({ server, asAdmin, f } = platform());
    model = await loadSchemaModel();
    attackers = [
      ...ORG_ROLES.map((role) => ({ name: `Alpha ${role}`, person: f.alpha.people[role], role })),
      { name: 'stranger', person: f.stranger },
      { name: 'former member of Bravo', person: f.former },
    ];
  });

  const db = () => platform().db;
  // What an attacker may read of a collection: Alpha's rows for its people (commands only for those who
  // command), nothing for the others.
  const visible = (role: OrgRole | undefined, collection: string): string[] =>
    !role || (collection === 'commands' && !COMMANDING.includes(role)) ? [] : [...(f.alphaVisible[collection] ?? [])].sort();
  const readable = (role: OrgRole | undefined, path: Step[], collection: string) =>
    ![collection, ...path.map((step) => step.to)].includes('commands') || (role !== undefined && COMMANDING.includes(role));

  it('every business collection of the snapshot is protected by the database', async () => {
    const rows = await db().query<{ relname: string }>(
      `SELECT c.relname FROM pg_class c WHERE c.relrowsecurity AND EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'tenant_rules')`,
    );
    expect(rows.map((r) => r.relname).sort()).toEqual(model.collections);
  });

  it('reads of every collection, nested three levels deep through every relation, with meta counts: Alpha only', async () => {
    const failures: string[] = [];
    await inBatches(
      attackers.flatMap(({ name, person, role }) =>
        model.collections.map((collection) => async () => {
          const response = await person.api<Array<{ id: string }>>('GET', `/items/${collection}?${query({ fields: '*.*.*', limit: '-1', meta: '*' })}`);
          const expected = visible(role, collection);
          if (response.status === 403 && expected.length === 0) return;
          const ids = (response.body?.data ?? []).map((row) => row.id).sort();
          const meta = (response.body as { meta?: { total_count?: number; filter_count?: number } } | undefined)?.meta;
          const leaked = leaks(f, response.body);
          if (response.status !== 200 || JSON.stringify(ids) !== JSON.stringify(expected) || meta?.total_count !== expected.length || meta?.filter_count !== expected.length || leaked.length > 0) {
            failures.push(`${name} GET ${collection}: ${response.status} ids ${ids.length}/${expected.length} meta ${JSON.stringify(meta)} leaks ${leaked}`);
          }
        }),
      ),
    );
    expect(failures).toEqual([]);
  });

  // The question a filter asks along a path: does a row there carry the side's name, or is it one of
  // the side's rows?
  const ask = (path: Step[], side: 'alpha' | 'bravo') => {
    const collection = path[path.length - 1]!.to;
    const ids = f[side].rows[collection] ?? [];
    const or: Array<Record<string, unknown>> = model.stringFields(collection).map((field) => ({ [field]: { _icontains: side } }));
    if (ids.length > 0) or.push({ id: { _in: ids } });
    return filterAlong(path, { _or: or });
  };

  it('filters along every relation path up to depth 3, as yes/no questions with counts: nothing about Bravo, and the same question about Alpha answered', async () => {
    const get = (api: Api, collection: string, filter: Record<string, unknown>) =>
      api<Array<{ id: string }>>('GET', `/items/${collection}?${query({ filter, fields: 'id', limit: '-1', meta: 'filter_count,total_count' })}`);
    // One question per request: Directus joins every relational branch of one filter into one
    // statement, so many paths in one `_or` multiply each other's rows.
    const cases = model.collections.flatMap((collection) => model.paths(collection, 3).map((path) => ({ collection, path })));
    const key = (collection: string, path: Step[]) => `${collection}:${path.map((s) => s.key).join('.')}`;
    // What the administrator finds about Alpha is what Alpha's people must find of it; Bravo's data is
    // reachable from every collection (the questions are real).
    const adminAlpha = new Map<string, string[]>();
    const bravoReachable = new Set<string>();
    await inBatches(
      cases.map(({ collection, path }) => async () => {
        const alpha = await get(asAdmin, collection, ask(path, 'alpha'));
        expect(alpha.status, JSON.stringify(alpha.body)).toBe(200);
        adminAlpha.set(key(collection, path), alpha.body!.data!.map((r) => r.id));
        if (path.length === 1 && (await get(asAdmin, collection, ask(path, 'bravo'))).body!.data!.length > 0) bravoReachable.add(collection);
      }),
    );
    expect([...bravoReachable].sort()).toEqual(model.collections);
    const failures: string[] = [];
    let asked = 0;
    // Every attacker asks about Bravo along every path; two of Alpha's roles ask about Alpha too.
    const controls = ['Alpha viewer', 'Alpha marshal'];
    await inBatches(
      attackers.flatMap(({ name, person, role }) =>
        cases.map(({ collection, path }) => async () => {
          asked += 1;
          const where = `${name} ${key(collection, path)}`;
          const bravo = await get(person.api, collection, ask(path, 'bravo'));
          if (!(bravo.status === 403 && !readable(role, path, collection))) {
            const meta = (bravo.body as { meta?: { filter_count?: number; total_count?: number } } | undefined)?.meta;
            if (bravo.status !== 200 || bravo.body!.data!.length !== 0 || meta?.filter_count !== 0 || meta?.total_count !== visible(role, collection).length) {
              failures.push(`${where} about Bravo: ${bravo.status} ${JSON.stringify(bravo.body).slice(0, 200)}`);
            }
          }
          if (!controls.includes(name) || !readable(role, path, collection)) return;
          const alpha = await get(person.api, collection, ask(path, 'alpha'));
          const expected = adminAlpha.get(key(collection, path))!.filter((id) => visible(role, collection).includes(id)).sort();
          const got = (alpha.body?.data ?? []).map((r) => r.id).sort();
          if (alpha.status !== 200 || JSON.stringify(got) !== JSON.stringify(expected)) {
            failures.push(`${where} about Alpha: ${alpha.status} ${got.length} rows, expected ${expected.length}`);
          }
        }),
      ),
      6,
    );
    expect(failures).toEqual([]);
    expect(asked).toBe(cases.length * attackers.length);
  }, 900_000);

  it('aggregates, group-bys, search and exports count and show Alpha only', async () => {
    const failures: string[] = [];
    await inBatches(
      attackers.flatMap(({ name, person, role }) =>
        model.collections.flatMap((collection) => {
          const expected = visible(role, collection);
          const references = model.references.filter((r) => r.collection === collection).map((r) => r.field);
          const check = (what: string, response: ApiResponse, ok: (body: any) => boolean) => {
            if (response.status === 403 && expected.length === 0) return;
            if (response.status !== 200 || leaks(f, response.body).length > 0 || !ok(response.body)) {
              failures.push(`${name} ${collection} ${what}: ${response.status} ${JSON.stringify(response.body).slice(0, 200)}`);
            }
          };
          return [
            async () =>
              check('count', await person.api('GET', `/items/${collection}?aggregate[count]=*`), (body) => Number(body.data[0].count) === expected.length),
            ...references.map((field) => async () =>
              check(`group by ${field}`, await person.api('GET', `/items/${collection}?${query({ 'aggregate[count]': '*', 'groupBy[]': field })}`), (body) =>
                body.data.reduce((sum: number, group: { count: string }) => sum + Number(group.count), 0) === expected.length,
              ),
            ),
            async () => check('search', await person.api('GET', `/items/${collection}?search=bravo&fields=id&limit=-1`), (body) => body.data.length === 0),
            async () => {
              const response = await person.api('GET', `/items/${collection}?${query({ export: 'json', fields: '*.*.*', limit: '-1' })}`);
              check('export', response, (body) => Array.isArray(body) ? body.length === expected.length : false);
            },
          ];
        }),
      ),
    );
    expect(failures).toEqual([]);
  });

  it('GraphQL queries, nested, filtered along every path and aggregated: Alpha only', async () => {
    const scalars = (collection: string) => model.columns(collection).filter((c) => !model.references.some((r) => r.collection === collection && r.field === c.field) && !(c.schema as { foreign_key_table?: string } | null)?.foreign_key_table).map((c) => c.field);
    const selection = (collection: string, depth: number): string =>
      [
        ...scalars(collection),
        ...(depth === 0 ? [] : model.references.filter((r) => r.collection === collection).map((r) => `${r.field} { ${selection(r.related, depth - 1)} }`)),
      ].join(' ');
    const failures: string[] = [];
    await inBatches(
      attackers.flatMap(({ name, person, role }) =>
        model.collections.map((collection) => async () => {
          const expected = visible(role, collection);
          const paths = model.paths(collection, 2).filter((path) => !path.some((step) => step.key.startsWith('$FOLLOW')));
          const questions = paths.map((path, i) => `q${i}: ${collection}(limit: -1, filter: ${graphqlFilter(ask(path, 'bravo'))}) { id }`);
          const response = await person.api<Record<string, Array<{ id: string }> | Array<{ count: { id: number } }>>>('POST', '/graphql', {
            query: `{ all: ${collection}(limit: -1) { ${selection(collection, 2)} } total: ${collection}_aggregated { count { id } } ${questions.join(' ')} }`,
          });
          const data = response.body?.data as Record<string, unknown[]> | undefined;
          if (expected.length === 0 && (response.body?.errors?.length ?? 0) > 0 && !data?.['all']) return;
          const ids = ((data?.['all'] ?? []) as Array<{ id: string }>).map((row) => row.id).sort();
          const total = ((data?.['total'] ?? []) as Array<{ count: { id: number } }>)[0]?.count.id;
          const answered = questions.map((_, i) => (data?.[`q${i}`] ?? []).length).filter((n) => n > 0);
          if (response.body?.errors || JSON.stringify(ids) !== JSON.stringify(expected) || Number(total) !== expected.length || answered.length > 0 || leaks(f, response.body).length > 0) {
            failures.push(`${name} GraphQL ${collection}: ${JSON.stringify(response.body).slice(0, 300)}`);
          }
        }),
      ),
    );
    expect(failures).toEqual([]);
  });

  it('a row of Bravo and a row that does not exist get the same answer, on REST and GraphQL', async () => {
    const failures: string[] = [];
    for (const { name, person } of attackers) {
      for (const collection of model.collections) {
        const bravoRow = f.bravo.rows[collection]![0]!;
        const [theirs, nobodys] = await Promise.all([person.api('GET', `/items/${collection}/${bravoRow}`), person.api('GET', `/items/${collection}/${unknownId()}`)]);
        if (theirs.status !== nobodys.status || JSON.stringify(theirs.body) !== JSON.stringify(nobodys.body)) {
          failures.push(`${name} ${collection}: ${theirs.status} ${JSON.stringify(theirs.body)} vs ${nobodys.status} ${JSON.stringify(nobodys.body)}`);
        }
        const [gqlTheirs, gqlNobodys] = await Promise.all(
          [bravoRow, unknownId()].map((id) => person.api('POST', '/graphql', { query: `{ ${collection}_by_id(id: "${id}") { id } }` })),
        );
        if (JSON.stringify(gqlTheirs!.body) !== JSON.stringify(gqlNobodys!.body)) failures.push(`${name} GraphQL ${collection}_by_id differs`);
      }
    }
    expect(failures).toEqual([]);
  });

  // The routes a write can take: REST one and batch (array, keys, query), GraphQL, WebSocket items.
  const updateRoutes = (api: Api, token: string, collection: string, id: string, data: Record<string, unknown>) => ({
    'REST one': () => api('PATCH', `/items/${collection}/${id}`, data),
    'REST batch array': () => api('PATCH', `/items/${collection}`, [{ id, ...data }]),
    'REST batch keys': () => api('PATCH', `/items/${collection}`, { keys: [id], data }),
    'REST batch query': () => api('PATCH', `/items/${collection}`, { query: { filter: { id: { _eq: id } } }, data }),
    'GraphQL one': () => graphqlMutation(api, `mutation($id: ID!, $data: update_${collection}_input!) { update_${collection}_item(id: $id, data: $data) { id } }`, { id, data }),
    'GraphQL batch': () => graphqlMutation(api, `mutation($ids: [ID]!, $data: update_${collection}_input!) { update_${collection}_items(ids: $ids, data: $data) { id } }`, { ids: [id], data }),
    WebSocket: () => socketItems(token, { action: 'update', collection, id, data }),
  });
  const createRoutes = (api: Api, token: string, collection: string, data: Record<string, unknown>) => ({
    'REST one': () => api('POST', `/items/${collection}`, data),
    'REST batch': () => api('POST', `/items/${collection}`, [data]),
    GraphQL: () => graphqlMutation(api, `mutation($data: create_${collection}_input!) { create_${collection}_item(data: $data) { id } }`, { data }),
    WebSocket: () => socketItems(token, { action: 'create', collection, data }),
  });
  const deleteRoutes = (api: Api, token: string, collection: string, id: string) => ({
    'REST one': () => api('DELETE', `/items/${collection}/${id}`),
    'REST batch array': () => api('DELETE', `/items/${collection}`, [id]),
    'REST batch keys': () => api('DELETE', `/items/${collection}`, { keys: [id] }),
    'REST batch query': () => api('DELETE', `/items/${collection}`, { query: { filter: { id: { _eq: id } } } }),
    GraphQL: () => graphqlMutation(api, `mutation($id: ID!) { delete_${collection}_item(id: $id) { id } }`, { id }),
    WebSocket: () => socketItems(token, { action: 'delete', collection, id }),
  });
  const refused = (response: ApiResponse) => response.status >= 400 && response.status < 500;
  // One `items` action over the REST-style WebSocket, answered like a REST call; one socket a person.
  const sockets = new Map<string, Promise<Socket>>();
  let uid = 0;
  const socketItems = async (token: string, message: Record<string, unknown>): Promise<ApiResponse> => {
    if (!sockets.has(token)) sockets.set(token, restSocket(server.baseUrl, token));
    const socket = await sockets.get(token)!;
    const id = `write-${(uid += 1)}`;
    socket.send({ type: 'items', uid: id, ...message });
    const answer = await socket.next((m) => m['type'] === 'items' && m['uid'] === id);
    return answer['status'] === 'error' ? { status: 403, body: { errors: [answer['error']] } } : { status: 200, body: { data: answer['data'] } };
  };
  afterAll(async () => {
    for (const socket of sockets.values()) (await socket).close();
  });
  // Every route refuses; a write by query may instead find nothing it may not see, and then its answer
  // must be the one for a row that does not exist.
  const answeredAsNothing = async (route: string, response: ApiResponse, sameForNobody: () => Promise<ApiResponse>) => {
    if (refused(response) || (route.startsWith('GraphQL') && !!response.body?.errors)) return true;
    if (route !== 'REST batch query') return false;
    const nobody = await sameForNobody();
    return response.status === nobody.status && JSON.stringify(response.body) === JSON.stringify(nobody.body);
  };
  const rowOf = async (collection: string, id: string) => (await db().query(`SELECT * FROM ${collection} WHERE id = $1`, [id]))[0];
  const alphaRefs = () => ({
    organizations: f.alpha.org, events: f.alpha.event, classes: f.alpha.klass, entries: f.alpha.ownEntry,
    vehicles: f.alpha.vehicle, devices: f.alpha.device, directus_users: f.alpha.people.participant.id,
  });

  it('every write that points a row at a row of Bravo is refused, on every route, in every spelling, and changes nothing', async () => {
    const attacker = f.alpha.people['org-admin'];
    const failures: string[] = [];
    let tried = 0;
    for (const reference of model.references) {
      const target = f.bravo.rows[reference.related]![0]!;
      const own = f.alpha.rows[reference.collection]![0]!;
      for (const id of spellings(target)) {
        const before = await db().query(`SELECT count(*)::int AS n FROM ${reference.collection}`);
        const payload = { ...newRow(model, reference.collection, alphaRefs(), 'alpha'), [reference.field]: id };
        for (const [route, send] of Object.entries(createRoutes(attacker.api, attacker.token, reference.collection, payload))) {
          tried += 1;
          const response = await send();
          if (!refused(response)) failures.push(`create ${reference.collection} with ${reference.field} = Bravo's (${id}) via ${route}: ${response.status}`);
        }
        const after = await db().query(`SELECT count(*)::int AS n FROM ${reference.collection}`);
        if (after[0]!['n'] !== before[0]!['n']) failures.push(`create ${reference.collection} with ${reference.field} = Bravo's stored a row`);
        const stored = await rowOf(reference.collection, own);
        for (const [route, send] of Object.entries(updateRoutes(attacker.api, attacker.token, reference.collection, own, { [reference.field]: id }))) {
          tried += 1;
          const response = await send();
          if (!refused(response) && !(route.startsWith('GraphQL') && response.body?.errors)) failures.push(`point ${reference.collection}.${reference.field} at Bravo's (${id}) via ${route}: ${response.status}`);
        }
        expect(await rowOf(reference.collection, own), `${reference.collection}.${reference.field}`).toEqual(stored);
      }
    }
    expect(failures).toEqual([]);
    expect(tried).toBeGreaterThan(300);
  }, 600_000);

  it('every change to a row of Bravo and every delete of one is refused, for every attacker, on every route, in every spelling', async () => {
    const failures: string[] = [];
    const everyone = [...attackers, { name: 'Bravo viewer', person: f.bravo.people.viewer }];
    await inBatches(
      everyone.map(({ name, person }) => async () => {
        for (const collection of model.collections) {
          const target = f.bravo.rows[collection]![0]!;
          const field = model.stringFields(collection)[0] ?? 'date_updated';
          const stored = await rowOf(collection, target);
          const change = field === 'date_updated' ? { date_updated: '2030-01-01T00:00:00Z' } : { [field]: `taken over by ${name}` };
          for (const id of spellings(target)) {
            const nobody = unknownId();
            const updates = updateRoutes(person.api, person.token, collection, nobody, change);
            for (const [route, send] of Object.entries(updateRoutes(person.api, person.token, collection, id, change))) {
              const response = await send();
              if (!(await answeredAsNothing(route, response, updates[route as keyof typeof updates]))) failures.push(`${name} changes ${collection} ${id} via ${route}: ${response.status}`);
            }
            const deletes = deleteRoutes(person.api, person.token, collection, nobody);
            for (const [route, send] of Object.entries(deleteRoutes(person.api, person.token, collection, id))) {
              const response = await send();
              if (!(await answeredAsNothing(route, response, deletes[route as keyof typeof deletes]))) failures.push(`${name} deletes ${collection} ${id} via ${route}: ${response.status}`);
            }
          }
          if (JSON.stringify(await rowOf(collection, target)) !== JSON.stringify(stored)) failures.push(`${name} changed ${collection} ${target}`);
        }
      }),
      3,
    );
    expect(failures).toEqual([]);
    // No activity or revision was recorded for any of them, in any spelling.
    const bravoIds = Object.values(f.bravo.rows).flat();
    const recorded = await db().query(`SELECT count(*)::int AS n FROM directus_activity WHERE lower(item) = ANY($1) AND "user" <> ALL($2)`, [
      bravoIds, [await adminId()],
    ]);
    expect(recorded[0]!['n']).toBe(0);
  }, 600_000);

  it('nested writes that create or change a row pointing at Bravo are refused and change nothing', async () => {
    const attacker = f.alpha.people['org-admin'];
    const failures: string[] = [];
    const counts = async () => JSON.stringify(await Promise.all(model.collections.map(async (c) => (await db().query(`SELECT count(*)::int AS n FROM ${c}`))[0]!['n'])));
    const before = await counts();
    // Many-to-one: A's row with a new related row that points at Bravo.
    for (const outer of model.references) {
      for (const inner of model.references.filter((r) => r.collection === outer.related)) {
        const nested = { ...newRow(model, outer.related, alphaRefs(), 'alpha'), [inner.field]: f.bravo.rows[inner.related]![0] };
        const own = f.alpha.rows[outer.collection]![0]!;
        const response = await attacker.api('PATCH', `/items/${outer.collection}/${own}`, { [outer.field]: nested });
        if (!refused(response)) failures.push(`${outer.collection}.${outer.field} → new ${outer.related} with ${inner.field} of Bravo: ${response.status}`);
      }
    }
    // One-to-many: A's row with a new child that points at Bravo elsewhere.
    const aliases = await aliasesOf();
    for (const { parent, alias, child, field } of aliases) {
      for (const other of model.references.filter((r) => r.collection === child && r.field !== field)) {
        const row = { ...newRow(model, child, alphaRefs(), 'alpha'), [other.field]: f.bravo.rows[other.related]![0] };
        delete row[field];
        const response = await attacker.api('PATCH', `/items/${parent}/${f.alpha.rows[parent]![0]}`, { [alias]: { create: [row], update: [], delete: [] } });
        if (!refused(response)) failures.push(`${parent}.${alias} create ${child} with ${other.field} of Bravo: ${response.status}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await counts()).toBe(before);
  });

  const aliasesOf = async () => {
    const relations = (await asAdmin<Array<{ collection: string; field: string; related_collection: string; meta: { one_field: string | null } | null }>>('GET', '/relations')).body!.data!;
    return relations
      .filter((r) => r.meta?.one_field && model.collections.includes(r.collection) && model.collections.includes(r.related_collection))
      .map((r) => ({ parent: r.related_collection, alias: r.meta!.one_field!, child: r.collection, field: r.field }));
  };
  let adminUser: string | undefined;
  const adminId = async () => (adminUser ??= (await asAdmin<{ id: string }>('GET', '/users/me')).body!.data!.id);

  it('subscriptions on both WebSocket channels deliver Alpha’s events, deletions included, and nothing of Bravo’s', async () => {
    const failures: string[] = [];
    for (const collection of model.collections) {
      const watcherRole: OrgRole = collection === 'commands' ? 'marshal' : 'viewer';
      const watcher = f.alpha.people[watcherRole];
      const rest = await restSocket(server.baseUrl, watcher.token);
      const graphql = await graphqlSocket(server.baseUrl, watcher.token);
      try {
        rest.send({ type: 'subscribe', collection, uid: 'watch', query: { fields: ['*'], meta: ['filter_count', 'total_count'] } });
        const init = await rest.next((m) => m['type'] === 'subscription' && m['event'] === 'init');
        // The rows the watcher reads over REST now (the reads test checks those against the fixture).
        const expected = (await watcher.api<unknown[]>('GET', `/items/${collection}?fields=id&limit=-1`)).body!.data!;
        if (leaks(f, init).length > 0 || init['data'].length !== expected.length || init['meta']?.total_count !== expected.length) {
          failures.push(`${collection} init: ${JSON.stringify(init).slice(0, 300)}`);
        }
        graphql.send({ id: 'watch', type: 'subscribe', payload: { query: `subscription { ${collection}_mutated { key event data { id } } }` } });
        // Bravo's rows are created, changed and deleted by an administrator; then Alpha's. Alpha hears
        // only its own, ending with the last one.
        const { watched, last } = await mutateBothSides(collection);
        const restEvents = await until(rest, (m) => m['type'] === 'subscription' && m['uid'] === 'watch', (m) => m['event'] === last.event && keysOf(m['data']).includes(last.key));
        const restKeys = new Set(restEvents.flatMap((m) => keysOf(m['data'])));
        if ([...restKeys].some((key) => !watched.includes(key)) || leaks(f, restEvents).length > 0) {
          failures.push(`${collection} REST WebSocket heard ${JSON.stringify(restEvents).slice(0, 300)}`);
        }
        const gqlEvents = await until(graphql, (m) => m['type'] === 'next' && m['id'] === 'watch', (m) => {
          const event = m['payload'].data[`${collection}_mutated`];
          return event.event === last.event && event.key === last.key;
        });
        if (gqlEvents.some((m) => !watched.includes(String(m['payload'].data[`${collection}_mutated`].key))) || leaks(f, gqlEvents).length > 0) {
          failures.push(`${collection} GraphQL heard ${JSON.stringify(gqlEvents).slice(0, 300)}`);
        }
      } finally {
        rest.close();
        graphql.close();
      }
    }
    expect(failures).toEqual([]);
  }, 600_000);

  const keysOf = (data: unknown): string[] =>
    Array.isArray(data) ? data.map((row) => (typeof row === 'string' ? row : String((row as { id: string }).id))) : typeof data === 'string' ? [data] : [];
  // Messages matching `match` until one satisfies `done` (included).
  const until = async (socket: Socket, match: (m: Record<string, any>) => boolean, done: (m: Record<string, any>) => boolean) => {
    const seen: Array<Record<string, any>> = [];
    for (;;) {
      const message = await socket.next(match);
      seen.push(message);
      if (done(message)) return seen;
    }
  };

  // Bravo's and then Alpha's rows of a collection, created, changed and deleted by an administrator.
  // Shared rows (vehicles, devices) and organizations are only changed on Alpha's side: a new one is
  // nobody's until registered, and is deleted only once nobody holds it.
  const mutateBothSides = async (collection: string): Promise<{ watched: string[]; last: { event: string; key: string } }> => {
    const ownedElsewhere = ['organizations', 'vehicles', 'devices'].includes(collection);
    const bravoId = await createVia(asAdmin, collection, 'bravo');
    await changeVia(asAdmin, collection, bravoId);
    await changeVia(asAdmin, collection, f.bravo.rows[collection]![0]!);
    expect((await asAdmin('DELETE', `/items/${collection}/${bravoId}`)).status).toBe(204);
    if (ownedElsewhere) {
      const alphaRow = f.alpha.rows[collection]![0]!;
      await changeVia(asAdmin, collection, alphaRow);
      return { watched: [alphaRow], last: { event: 'update', key: alphaRow } };
    }
    const alphaId = await createVia(asAdmin, collection, 'alpha');
    await changeVia(asAdmin, collection, alphaId);
    expect((await asAdmin('DELETE', `/items/${collection}/${alphaId}`)).status).toBe(204);
    return { watched: [alphaId], last: { event: 'delete', key: alphaId } };
  };

  // A fresh row of a collection on one side, by the administrator.
  const createVia = async (api: Api, collection: string, side: 'alpha' | 'bravo'): Promise<string> => {
    const s = f[side];
    const refs: Record<string, string> = {
      organizations: s.org, events: s.event, classes: s.klass, entries: s.ownEntry, vehicles: s.vehicle, devices: s.device, directus_users: s.people.participant.id,
    };
    // Junctions are unique per pair: point them at something the side does not have yet.
    if (collection === 'organization_users') refs['directus_users'] = side === 'alpha' ? f.stranger.id : f.former.id;
    if (['organization_vehicles', 'organization_devices', 'entry_devices'].includes(collection)) {
      const fresh = collection === 'organization_vehicles' ? 'vehicles' : 'devices';
      refs[fresh] = (await api<{ id: string }>('POST', `/items/${fresh}`, newRow(model, fresh, refs, side))).body!.data!.id;
      if (collection === 'entry_devices') await api('POST', '/items/organization_devices', { organization_id: s.org, device_id: refs[fresh] });
    }
    const response = await api<{ id: string }>('POST', `/items/${collection}`, newRow(model, collection, refs, side));
    expect(response.status, `${collection}: ${JSON.stringify(response.body)}`).toBe(200);
    return response.body!.data!.id;
  };
  const changeVia = async (api: Api, collection: string, id: string) => {
    if (collection === 'commands') {
      // A command changes only by reports, once routing has decided it.
      await eventuallyNot(async () => (await rowOf('commands', id))!['status'], 'queued');
      const response = await api('PATCH', `/items/commands/${id}`, { status: 'sent' });
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      return;
    }
    const field = model.stringFields(collection).find((name) => !['imei', 'slug', 'status', 'codec', 'role', 'discipline', 'vin'].includes(name));
    const response = await api('PATCH', `/items/${collection}/${id}`, field ? { [field]: `changed ${randomUUID().slice(0, 6)}` } : { date_updated: new Date().toISOString() });
    expect(response.status, `${collection}: ${JSON.stringify(response.body)}`).toBe(200);
  };
});

async function eventuallyNot(read: () => Promise<unknown>, value: unknown): Promise<void> {
  for (let i = 0; (await read()) === value; i += 1) {
    if (i > 200) throw new Error(`still ${String(value)} after 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function graphqlFilter(filter: unknown): string {
  if (Array.isArray(filter)) return `[${filter.map(graphqlFilter).join(', ')}]`;
  if (typeof filter === 'object' && filter !== null) return `{ ${Object.entries(filter).map(([key, value]) => `${key}: ${graphqlFilter(value)}`).join(', ')} }`;
  return JSON.stringify(filter);
}

// A GraphQL mutation, answered like a REST call: a refusal is a 4xx status or an error in the body.
async function graphqlMutation(api: Api, mutation: string, variables: Record<string, unknown>): Promise<ApiResponse> {
  const response = await api('POST', '/graphql', { query: mutation, variables });
  if (response.status === 200 && response.body?.errors?.length) return { status: 400, body: response.body };
  return response;
}
