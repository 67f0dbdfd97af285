import type pg from 'pg';
import type { Risk } from '../schema/guard.ts';
import type { PlannedChange } from '../schema/plan.ts';
import { plural } from '../schema/risks.ts';
import type { LiveConfig } from './live.ts';

// Configuration items the database holds and the file does not: deleting them is a risk like
// dropping a column, because someone made them (in the admin UI, most likely) and may rely on them.
// The impact says who loses what.
export async function assessConfigRisks(client: pg.ClientBase, changes: PlannedChange[], live: LiveConfig): Promise<Risk[]> {
  const risks: Risk[] = [];
  for (const change of changes) {
    if (change.action !== 'delete') continue;
    risks.push({ change, impact: await deletionImpact(client, change, live) });
  }
  return risks;
}

async function deletionImpact(client: pg.ClientBase, change: PlannedChange, live: LiveConfig): Promise<string> {
  const count = async (sql: string, id: unknown) => Number((await client.query<{ n: string }>(sql, [id])).rows[0]?.n ?? 0);
  switch (change.kind) {
    case 'role': {
      const users = await count('SELECT count(*) AS n FROM directus_users WHERE role = $1', live.ids.roles.get(change.name));
      return `${plural(users, 'user')} lose${users === 1 ? 's' : ''} this role`;
    }
    case 'policy': {
      const id = live.ids.policies.get(change.name);
      const permissions = await count('SELECT count(*) AS n FROM directus_permissions WHERE policy = $1', id);
      const links = await count('SELECT count(*) AS n FROM directus_access WHERE policy = $1', id);
      return `${plural(permissions, 'permission')}, attached ${plural(links, 'time')}`;
    }
    case 'permission':
      return `its policy's users lose ${change.name.slice(change.name.lastIndexOf('.') + 1)} on ${change.collection}`;
    case 'flow': {
      const operations = live.config.flows.find((flow) => flow.name === change.name)?.operations.length ?? 0;
      return plural(operations, 'operation');
    }
    default:
      return 'made outside the file';
  }
}
