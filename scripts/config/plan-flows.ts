import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { FlowSpec, OperationSpec } from './model.ts';
import { byName, diff, json, PHASE, type Planner } from './planner.ts';

// Flows and their operations. Operations point at each other (resolve, reject) and a flow at its first
// one, by key in the file and by id in the database: the links are written once all of them exist.
export function planFlows(planner: Planner, live: FlowSpec[], desired: FlowSpec[]): void {
  const { ids } = planner;
  const current = byName(live);
  for (const flow of desired) {
    const before = current.get(flow.name);
    current.delete(flow.name);
    const edits = diff(before, flow, ['icon', 'color', 'description', 'status', 'trigger', 'accountability', 'options', 'operation']);
    if (!before) {
      planner.record('flow', 'create', flow.name, 'directus_flows');
      planner.at(PHASE.flows, async (client) => {
        const id = randomUUID();
        ids.flows.set(flow.name, id);
        await client.query(
          'INSERT INTO directus_flows (id, name, icon, color, description, status, trigger, accountability, options, date_created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())',
          [id, flow.name, ...flowValues(flow)],
        );
      });
    } else if (edits.length > 0) {
      planner.record('flow', 'change', flow.name, 'directus_flows', edits);
      planner.at(PHASE.flows, (client) =>
        client.query(
          'UPDATE directus_flows SET icon = $2, color = $3, description = $4, status = $5, trigger = $6, accountability = $7, options = $8 WHERE id = $1',
          [ids.flows.get(flow.name), ...flowValues(flow)],
        ),
      );
    }
    planOperations(planner, flow, before?.operations ?? []);
    if (!before || before.operation !== flow.operation) {
      planner.at(PHASE.operationLinks, (client) =>
        client.query('UPDATE directus_flows SET operation = $2 WHERE id = $1', [ids.flows.get(flow.name), flow.operation && planner.operationId(flow.name, flow.operation)]),
      );
    }
  }
  // A deleted flow takes its operations with it (ON DELETE CASCADE).
  for (const flow of current.values()) {
    planner.record('flow', 'delete', flow.name, 'directus_flows');
    planner.at(PHASE.deletions, (client) => client.query('DELETE FROM directus_flows WHERE id = $1', [ids.flows.get(flow.name)]));
  }
}

function planOperations(planner: Planner, flow: FlowSpec, live: OperationSpec[]): void {
  const { ids } = planner;
  const current = new Map(live.map((op) => [op.key, op]));
  for (const op of flow.operations) {
    const name = `${flow.name}/${op.key}`;
    const before = current.get(op.key);
    current.delete(op.key);
    const edits = diff(before, op, ['name', 'type', 'position_x', 'position_y', 'options', 'resolve', 'reject']);
    if (!before) {
      planner.record('operation', 'create', name, 'directus_operations');
      planner.at(PHASE.operations, async (client) => {
        const id = randomUUID();
        ids.operations.set(name, id);
        await client.query(
          'INSERT INTO directus_operations (id, flow, key, name, type, position_x, position_y, options, date_created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())',
          [id, ids.flows.get(flow.name), op.key, op.name, op.type, op.position_x, op.position_y, json(op.options)],
        );
      });
    } else if (edits.length > 0) {
      planner.record('operation', 'change', name, 'directus_operations', edits);
      planner.at(PHASE.operations, (client) =>
        client.query('UPDATE directus_operations SET name = $2, type = $3, position_x = $4, position_y = $5, options = $6 WHERE id = $1', [
          ids.operations.get(name),
          op.name,
          op.type,
          op.position_x,
          op.position_y,
          json(op.options),
        ]),
      );
    }
    if (!before || before.resolve !== op.resolve || before.reject !== op.reject) {
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
  for (const op of current.values()) {
    const name = `${flow.name}/${op.key}`;
    planner.record('operation', 'delete', name, 'directus_operations');
    planner.at(PHASE.operations, (client) => unlink(client, ids.operations.get(name)));
    planner.at(PHASE.deletions, (client) => client.query('DELETE FROM directus_operations WHERE id = $1', [ids.operations.get(name)]));
  }
}

// Each operation may be the resolve (and the reject) of one other only: every link that changes is
// cleared before any is set, so two operations can swap their successors.
function unlink(client: pg.ClientBase, id: string | undefined): Promise<unknown> {
  return client.query('UPDATE directus_operations SET resolve = NULL, reject = NULL WHERE id = $1', [id]);
}

function flowValues(flow: FlowSpec): unknown[] {
  return [flow.icon, flow.color, flow.description, flow.status, flow.trigger, flow.accountability, json(flow.options)];
}
