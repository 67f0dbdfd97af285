import { SETTING_KEYS, type ConfigFile } from './model.ts';
import { ENVIRONMENT_SETTINGS } from './environment-settings.ts';
import type { LiveConfig } from './live.ts';
import { planAccess } from './plan-access.ts';
import { planFlows } from './plan-flows.ts';
import { diff, json, PHASE, Planner, type ConfigPlan } from './planner.ts';

// What applying snapshots/config.yaml to a database would do, item by item (the changes step 3,
// `dry-run` and schema:check list, and the deletion guard judges), with the statements that do it.
export function planConfig(live: LiveConfig, desired: ConfigFile): ConfigPlan {
  const planner = new Planner(live.ids);
  planAccess(planner, live.config, desired);
  planFlows(planner, live.config.flows, desired.flows);
  planSettings(planner, live, desired);
  return planner.plan();
}

// Only the keys the file manages, and the environment's settings where set; a database without a
// settings row gets one.
function planSettings(planner: Planner, live: LiveConfig, desired: ConfigFile): void {
  const managed = [...SETTING_KEYS, ...Object.keys(ENVIRONMENT_SETTINGS).filter((key) => key in desired.settings)];
  const edits = diff(live.config.settings, desired.settings, managed);
  if (edits.length === 0) return;
  planner.record('settings', 'change', 'project settings', 'directus_settings', edits);
  planner.at(PHASE.settings, async (client) => {
    const keys = managed.filter((key) => key in desired.settings);
    const values = keys.map((key) => {
      const value = desired.settings[key];
      if (key === 'public_registration_role' && typeof value === 'string') return planner.roleId(value);
      // A list or an object is a JSON column (module_bar); pg would send an array as a PostgreSQL array.
      return typeof value === 'object' && value !== null ? json(value) : value;
    });
    if (live.ids.settings === undefined) {
      await client.query(`INSERT INTO directus_settings (${keys.join(', ')}) VALUES (${keys.map((_, i) => `$${i + 1}`).join(', ')})`, values);
    } else {
      await client.query(`UPDATE directus_settings SET ${keys.map((key, i) => `${key} = $${i + 2}`).join(', ')} WHERE id = $1`, [live.ids.settings, ...values]);
    }
  });
}
