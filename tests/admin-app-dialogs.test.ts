import { describe, expect, it } from 'vitest';
import { useBootedDatabase } from './support/databases.ts';
import { bootFully, login, restClient } from './support/directus.ts';
import { run } from './support/run.ts';

const admin = { email: 'admin@example.com', password: 'dialogs-admin-password' };
const secrets = { KEY: 'dialogs-key-0123456789abcdef', SECRET: 'dialogs-secret-0123456789abcdef', ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password };

interface ServerInfo {
  // Present until the first user exists; the app's setupCompleted is its absence.
  setup?: unknown;
  project_owner_enabled?: boolean;
  license?: { source?: string | null } | null;
}

// What the admin app (@directus/app 18, private-view) decides from, for an administrator, before it
// shows the licence dialog ("Have a license key?") and the project-owner dialog.
async function dialogsShownTo(baseUrl: string): Promise<{ licence: boolean; owner: boolean }> {
  const api = restClient(baseUrl, await login(baseUrl, admin.email, admin.password));
  const info = (await api<ServerInfo>('GET', '/server/info')).body!.data!;
  const settings = (await api<{ project_usage: string | null; project_owner: string | null }>('GET', '/settings')).body!.data!;
  const licence = info.setup === undefined && !info.license?.source && !settings.project_usage;
  const owner = info.project_owner_enabled === true && !settings.project_owner && !licence;
  return { licence, owner };
}

describe('the two dialogs the admin app greets a fresh environment with', () => {
  const booted = useBootedDatabase(secrets);

  it('are shown when the environment does not answer them', async () => {
    const boot = await bootFully(booted().env);
    try {
      // The owner dialog waits behind the licence dialog.
      expect(await dialogsShownTo(boot.baseUrl)).toEqual({ licence: true, owner: false });
    } finally {
      boot.child.kill('SIGTERM');
      await boot.finished;
    }
  });

  it('are answered by PROJECT_USAGE (applied by step 3, then unchanged) and PROJECT_OWNER_ENABLED=false', async () => {
    const answers = { PROJECT_USAGE: 'commercial', PROJECT_OWNER_ENABLED: 'false' };
    const first = await run('./entrypoint.sh', ['dry-run'], { ...booted().env, ...answers });
    expect(first.code, first.output).toBe(0);
    expect(first.stdout).toMatch(/config\.yaml: applied 1 change \(1 changed\)/);
    const second = await run('./entrypoint.sh', ['dry-run'], { ...booted().env, ...answers });
    expect(second.stdout).toContain('config.yaml: no changes');
    expect(await booted().db.query('SELECT project_usage, project_owner FROM directus_settings')).toEqual([{ project_usage: 'commercial', project_owner: null }]);
    const boot = await bootFully({ ...booted().env, ...answers });
    try {
      expect(await dialogsShownTo(boot.baseUrl)).toEqual({ licence: false, owner: false });
    } finally {
      boot.child.kill('SIGTERM');
      await boot.finished;
    }
  });

  it('refuses a PROJECT_USAGE the dialog would not offer, before it touches the database', async () => {
    const result = await run('./entrypoint.sh', ['dry-run'], { ...booted().env, PROJECT_USAGE: 'enterprise' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('refusing to boot: PROJECT_USAGE is "enterprise"; use personal, commercial, community');
    expect(result.output).not.toContain('step 1/5');
  });
});
