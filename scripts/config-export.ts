// Prints the configuration of the DB_* database as snapshots/config.yaml would hold it. In the image
// this is how `pnpm run schema:snapshot --compose` reads the compose stack's database.
import { withDatabase } from './config/capture.ts';
import { readLiveConfig } from './config/live.ts';
import { configToYaml } from './config/model.ts';
import { resolveConfiguration } from './lib/env.ts';

resolveConfiguration();
process.stdout.write(await configToYaml((await withDatabase(readLiveConfig)).config));
