// pm2's app script (scripts/pm2.config.cjs): each instance boots in `serve` mode (main.ts). JavaScript
// because pm2 tries to load ts-node for a .ts script; Node strips main.ts's types itself.
import { boot } from './main.ts';

await boot('serve');
