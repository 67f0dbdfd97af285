import type { EventTelemetry } from './event-telemetry.ts';

// An event's telemetry composition (event-telemetry.ts) and who is a member of which organization,
// kept for a few seconds per Directus process: at a rally's start thousands subscribe to one event
// within a minute, and each would otherwise rebuild the same 300 entries. Concurrent requests for
// what is not kept share one read. Any write this process makes to what they are read from forgets
// everything (cache-invalidation.ts); writes made through another instance show here within `ttlMs`,
// well within the answer's own lifetime (answer-expiry.ts), which processor keeps it for anyway.
type Kept<T> = Map<string, { until: number; value: Promise<T> }>;
const compositions: Kept<EventTelemetry | undefined> = new Map();
const memberships: Kept<boolean> = new Map();

// What the answers are read from: a write to any of these may change one.
export const READ_FROM = ['events', 'entries', 'entry_devices', 'entry_crew', 'classes', 'vehicles', 'devices', 'organization_devices', 'organization_users', 'directus_users'];

export const cachedEventTelemetry = (eventId: string, ttlMs: number, read: () => Promise<EventTelemetry | undefined>) => cached(compositions, eventId, ttlMs, read);
export const cachedMembership = (who: string, organizationId: string, ttlMs: number, read: () => Promise<boolean>) =>
  cached(memberships, `${who}/${organizationId}`, ttlMs, read);

// Beyond this many kept answers, the expired ones go, then the oldest: ids that do not exist, asked
// for by anyone, must not grow the map without bound.
const MAX_KEPT = 10_000;

function cached<T>(kept: Kept<T>, key: string, ttlMs: number, read: () => Promise<T>): Promise<T> {
  const now = Date.now();
  const hit = kept.get(key);
  if (hit && hit.until > now) return hit.value;
  const value = read();
  kept.delete(key);
  kept.set(key, { until: now + ttlMs, value });
  if (kept.size > MAX_KEPT) prune(kept, now);
  // A failed read is not kept.
  value.catch(() => kept.get(key)?.value === value && kept.delete(key));
  return value;
}

// Maps iterate in insertion order, and a key is re-inserted when renewed: the first are the oldest.
function prune<T>(kept: Kept<T>, now: number): void {
  for (const [key, { until }] of kept) if (until <= now) kept.delete(key);
  for (const key of kept.keys()) {
    if (kept.size <= MAX_KEPT) break;
    kept.delete(key);
  }
}

export function forgetTelemetryAnswers(): void {
  compositions.clear();
  memberships.clear();
}
