// Forgets what GET /telemetry/authorize keeps (event-cache.ts) whenever this Directus process writes
// something it is read from, so that an answer never lags behind a change
// made through this instance.
import type { HookConfig } from '@directus/types';
import { READ_FROM, forgetTelemetryAnswers } from './event-cache.ts';

const registerCacheInvalidation: HookConfig = ({ action }) => {
  const forgetOn = ({ collection }: { collection?: string }) => {
    if (collection !== undefined && READ_FROM.includes(collection)) forgetTelemetryAnswers();
  };
  for (const event of ['items.create', 'items.update', 'items.delete', 'users.create', 'users.update', 'users.delete']) action(event, forgetOn);
};

export default registerCacheInvalidation;
