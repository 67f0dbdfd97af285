import type pg from 'pg';
import { permissionName, type ConfigFile } from './model.ts';

// Directus 12 without a licence key (its "Core" entitlements) ignores permission rows that carry
// custom rules (item filters, field lists, validation, presets) and refuses to activate more than
// five flows. Applying the file with SQL must neither leave rules that silently do nothing nor
// activate what Directus itself would refuse.
export const CORE_ACTIVE_FLOWS = 5;

export interface LicenceFindings {
  ignoredPermissions: string[];
  activeFlows: number;
}

export async function isLicensed(client: pg.ClientBase, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (env['LICENSE_KEY']) return true;
  const { rows } = await client.query<{ license_key: string | null }>('SELECT license_key FROM directus_settings ORDER BY id LIMIT 1');
  return Boolean(rows[0]?.license_key);
}

export function coreLicenceFindings(config: ConfigFile): LicenceFindings {
  const custom = (value: unknown) => value !== null && value !== undefined && Object.keys(value).length > 0;
  return {
    ignoredPermissions: config.policies.flatMap((policy) =>
      policy.permissions
        .filter((p) => !(p.fields ?? []).includes('*') || custom(p.permissions) || custom(p.validation) || custom(p.presets))
        .map((p) => permissionName(policy.name, p)),
    ),
    activeFlows: config.flows.filter((flow) => flow.status === 'active').length,
  };
}
