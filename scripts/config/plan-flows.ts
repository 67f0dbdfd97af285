import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { FlowSpec, OperationSpec } from './model.ts';
import { byName, json, PHASE, type Planner } from './planner.ts';

// Flows and their operations. Operations point at each other (resolve, reject) and a flow at its first
// one, by key in the file and by id in the database: the links are written once all of them exist.
// A deleted flow takes its operations with it (ON DELETE CASCADE), so only the file's flows' are planned.
export function planFlows(planner: Planner, live: FlowSpec[], desired: FlowSpec[]): void {
  const { ids } = planner;
  const { kept } = planner.reconcile('flow', () => 'directus_flows', byName(live), byName(desired), ['icon', 'color', 'description', 'status', 'trigger', 'accountability', 'options', 'operation'], {
    phase: PHASE.flows,
    insert: async (client, flow) => {
      const id = randomUUID();
      ids.flows.set(flow.name, id);
      await client.query(
        'INSERT INTO directus_flows (id, name, icon, color, description, status, trigger, accountability, options, date_created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())',
        [id, flow.name, ...flowValues(flow)],
      );
    },
    update: (client, flow) =>
      client.query(
        'UPDATE directus_flows SET icon = $2, color = $3, description = $4, status = $5, trigger = $6, accountability = $7, options = $8 WHERE id = $1',
        [ids.flows.get(flow.name), ...flowValues(flow)],
      ),
    remove: (client, name) => client.query('DELETE FROM directus_flows WHERE id = $1', [ids.flows.get(name)]),
  });
  for (const { item: flow, before } of kept) {
    planOperations(planner, flow, before?.operations ?? []);
    if (!before || before.operation !== flow.operation) {
      planner.at(PHASE.operationLinks, (client) =>
        client.query('UPDATE directus_flows SET operation = $2 WHERE id = $1', [ids.flows.get(flow.name), flow.operation && planner.operationId(flow.name, flow.operation)]),
      );
    }
  }
}

function planOperations(planner: Planner, flow: FlowSpec, live: OperationSpec[]): void {
  const { ids } = planner;
  const byKey = (operations: OperationSpec[]) => new Map(operations.map((op) => [`${flow.name}/${op.key}`, op]));
  const { kept, removed } = planner.reconcile('operation', () => 'directus_operations', byKey(live), byKey(flow.operations), ['name', 'type', 'position_x', 'position_y', 'options', 'resolve', 'reject'], {
    phase: PHASE.operations,
    insert: async (client, op, name) => {
      const id = randomUUID();
      ids.operations.set(name, id);
      await client.query(
        'INSERT INTO directus_operations (id, flow, key, name, type, position_x, position_y, options, date_created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())',
        [id, ids.flows.get(flow.name), op.key, op.name, op.type, op.position_x, op.position_y, json(op.options)],
      );
    },
    update: (client, op, name) =>
      client.query('UPDATE directus_operations SET name = $2, type = $3, position_x = $4, position_y = $5, options = $6 WHERE id = $1', [
        ids.operations.get(name),
        op.name,
        op.type,
        op.position_x,
        op.position_y,
        json(op.options),
      ]),
    remove: (client, name) => client.query('DELETE FROM directus_operations WHERE id = $1', [ids.operations.get(name)]),
  });
  // Each operation may be the resolve (and the reject) of one other only: every link that changes,
  // or belongs to an operation about to go, is cleared before any is set, so successors can swap.
  for (const name of removed) planner.at(PHASE.operations, (client) => unlink(client, ids.operations.get(name)));
  for (const { name, item: op, before } of kept) {
    if (before && before.resolve === op.resolve && before.reject === op.reject) continue;
    if (before) planner.at(PHASE.operations, (client) => unlink(client, ids.operations.get(name)));
    planner.at(PHASE.operationLinks, (client) =>
      client.query('UPDATE directus_operations SET resolve = $2, reject = $3 WHERE id = $1', [
        ids.operations.get(name),
        op.resolve && planner.operationId(flow.name, op.resolve),
        op.reject && planner.operationId(flow.name, op.reject),
      ]),
    );
  }
}

function unlink(client: pg.ClientBase, id: string | undefined): Promise<unknown> {
  return client.query('UPDATE directus_operations SET resolve = NULL, reject = NULL WHERE id = $1', [id]);
}

function flowValues(flow: FlowSpec): unknown[] {
  return [flow.icon, flow.color, flow.description, flow.status, flow.trigger, flow.accountability, json(flow.options)];
}
