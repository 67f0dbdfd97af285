// Times as the screens show and send them: ISO 8601 in UTC, to the second (the endpoints want a time
// zone; UTC reads the same for every operator and in the audit trail).
export const isoSecond = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

// A typed time, or undefined; a time zone is required, as the endpoints require it.
export function parseInstant(text: string): number | undefined {
  if (!/(Z|[+-]\d{2}:\d{2})$/.test(text.trim())) return undefined;
  const ms = Date.parse(text.trim());
  return Number.isNaN(ms) ? undefined : ms;
}

// "08 Jun 07:00" in UTC, for axis labels and lists.
export function shortUtc(ms: number, withDate = true): string {
  const date = new Date(ms);
  const time = date.toISOString().slice(11, 16);
  if (!withDate) return time;
  return `${date.getUTCDate().toString().padStart(2, '0')} ${MONTHS[date.getUTCMonth()]} ${time}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
