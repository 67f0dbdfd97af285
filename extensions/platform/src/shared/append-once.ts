import type { Redis } from 'ioredis';

// XADD that happens at most once per marker, however often it is retried: the marker (SET with a
// lifetime) and the entry are written by one Lua script, which Redis runs atomically. A retry after
// a lost reply or a crash finds the marker and gets the first entry back instead of adding another.
const APPEND_ONCE = `
local seen = redis.call('GET', KEYS[1])
if seen then return {0, seen} end
local id
if ARGV[2] == '0' then
  id = redis.call('XADD', KEYS[2], '*', unpack(ARGV, 3))
else
  id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, 3))
end
redis.call('SET', KEYS[1], KEYS[2] .. ' ' .. id, 'EX', ARGV[1])
return {1, KEYS[2] .. ' ' .. id}
`;

export interface Appended {
  appended: boolean;
  stream: string;
  entryId: string;
}

export interface AppendOnce {
  marker: string;
  stream: string;
  fields: Record<string, string>;
  markerSeconds: number;
  // Trim the stream to about this many entries; 0 keeps every entry.
  maxLength: number;
}

export async function appendOnce(redis: Redis, { marker, stream, fields, markerSeconds, maxLength }: AppendOnce): Promise<Appended> {
  const [appended, where] = (await redis.eval(APPEND_ONCE, 2, marker, stream, markerSeconds, maxLength, ...Object.entries(fields).flat())) as [number, string];
  const split = where.lastIndexOf(' ');
  return { appended: appended === 1, stream: where.slice(0, split), entryId: where.slice(split + 1) };
}
