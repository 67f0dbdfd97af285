import type { BootContext } from '../context.ts';
import type { DirectusServer } from '../directus-server.ts';
import { reportServing } from '../pm2-runtime.ts';

// Step 5 in a pm2 instance: Directus's own server, from the modules this process loaded before step 1
// (no context: an instance pm2 restarted, which ran no step).
export async function start(ctx: BootContext | undefined, server: DirectusServer): Promise<string> {
  // Steps 2 and 3 ran Directus in this process, and steps 3 and 4 changed in SQL what it may hold.
  if (ctx?.directus) await (await ctx.directus).clearCaches();
  const where = await server.serve();
  reportServing();
  return `Directus serves on ${where}`;
}
