import type { AddressInfo } from 'node:net';
import { importFromDirectus } from '../lib/directus-install.ts';

// Step 5 in each pm2 instance: Directus's own server (what `directus start` runs), in the process that
// ran steps 1–4 with the modules it loaded before them: importing this module loads them. The CLI's
// extras are left out: its npm update check (a request to the registry on every start) and its early
// extension loading, which createApp does anyway.
interface Emitter {
  onAction: (event: 'server.start', handler: (meta: { server: { address: () => AddressInfo | string | null } }) => void) => void;
}

const api = <T>(module: string) => importFromDirectus<T>(`@directus/api/${module}`);
const [{ startServer }, { default: emitter }] = await Promise.all([
  api<{ startServer: () => Promise<void> }>('server'),
  api<{ default: Emitter }>('emitter'),
]);

// Resolves with where Directus listens once it does; rejects when it cannot start (Directus itself
// exits on some failures: a port in use, a database it cannot reach).
export function serve(): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    emitter.onAction('server.start', ({ server }) => {
      const address = server.address();
      resolve(typeof address === 'string' ? address : `port ${address?.port}`);
    });
    startServer().catch(reject);
  });
}

export type DirectusServer = typeof import('./directus-server.ts');
