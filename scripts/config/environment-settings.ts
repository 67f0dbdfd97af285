import { ConfigError } from '../lib/env.ts';

// Settings that are the environment's choice rather than the project's, so they come from the
// environment and not from snapshots/config.yaml; step 3 applies them with the file's settings on
// every boot where they are set.
//
// PROJECT_USAGE answers the "Have a license key?" dialog that the admin app (@directus/app,
// private-view) shows every administrator of a Directus without a licence key for as long as the
// project_usage setting is empty: "I'm using Core plan" there writes exactly this setting.
export const ENVIRONMENT_SETTINGS = { project_usage: 'PROJECT_USAGE' } as const;
export type EnvironmentSetting = keyof typeof ENVIRONMENT_SETTINGS;

const USAGES = ['personal', 'commercial', 'community'];

export function environmentSettings(env: NodeJS.ProcessEnv = process.env): Partial<Record<EnvironmentSetting, string>> {
  const usage = env[ENVIRONMENT_SETTINGS.project_usage];
  if (usage === undefined || usage === '') return {};
  if (!USAGES.includes(usage)) throw new ConfigError(`PROJECT_USAGE is "${usage}"; use ${USAGES.join(', ')} (what the admin app's licence dialog would ask)`);
  return { project_usage: usage };
}
