import type { Api } from '../shared/memberships.ts';

// One device's positions in a window, read through GET /positions/track (src/positions/track.ts),
// which narrows them to the person's organizations, answers for at most `max_window_hours` at once
// and thins a busy window to an even sample of `max_track_points` (GET /positions/limits). A longer
// window, an event's week, is read in windows that wide; a thinned one is read again in pieces small
// enough to come back whole, so that an unflagged bad fix is not lost in the sampling, up to
// DETAIL_LIMIT fixes in all.
export interface TrackPoint {
  ts: string;
  // ts in milliseconds, for drawing.
  t: number;
  latitude: number;
  longitude: number;
  speed: number | null;
  faulty: boolean;
}

export interface Track {
  imei: string;
  points: TrackPoint[];
  // Fixes in the window, and the faulty ones among them; `points` holds all faulty ones but, when
  // `sampled`, only an even spread of the others.
  total: number;
  faulty: number;
  sampled: boolean;
}

export interface Limits {
  max_window_hours: number;
  max_track_points: number;
}

const DETAIL_LIMIT = 60_000;

export async function readLimits(api: Api): Promise<Limits> {
  return (await api.get('/positions/limits')).data.data as Limits;
}

export async function loadTrack(api: Api, limits: Limits, device: string, from: number, to: number): Promise<Track> {
  const read = async ([start, end]: [number, number]): Promise<Track & { window: [number, number] }> => {
    const { data } = await api.get('/positions/track', {
      params: { device_id: device, from: new Date(start).toISOString(), to: new Date(end).toISOString() },
    });
    const answer = data.data as Omit<Track, 'points'> & { points: Array<Omit<TrackPoint, 't'>> };
    return { ...answer, window: [start, end], points: answer.points.map((point) => ({ ...point, t: Date.parse(point.ts) })) };
  };
  let parts = await Promise.all(windows(from, to, limits.max_window_hours * 3_600_000).map(read));
  if (parts.some((part) => part.sampled) && sum(parts, 'total') <= DETAIL_LIMIT) {
    parts = (await Promise.all(parts.map((part) => (part.sampled ? Promise.all(pieces(part, limits.max_track_points).map(read)) : [part])))).flat();
  }
  return {
    imei: parts[0]?.imei ?? '',
    points: parts.flatMap((part) => part.points),
    total: sum(parts, 'total'),
    faulty: sum(parts, 'faulty'),
    sampled: parts.some((part) => part.sampled),
  };
}

// [from, to] cut into windows at most `width` wide, inclusive at both ends like the endpoint's.
// Fixes carry millisecond timestamps (Teltonika AVL records), so windows that end 1 ms before the
// next starts neither overlap nor leave a gap.
function windows(from: number, to: number, width: number): Array<[number, number]> {
  const list: Array<[number, number]> = [];
  for (let start = from; start <= to; start += width + 1) list.push([start, Math.min(start + width, to)]);
  return list;
}

// A thinned window cut where its even sample says each piece holds fewer fixes than one answer
// carries, with a piece to spare.
function pieces({ window: [start, end], points, total }: { window: [number, number]; points: TrackPoint[]; total: number }, most: number): Array<[number, number]> {
  const count = Math.ceil(total / most) + 1;
  const cuts = Array.from({ length: count - 1 }, (_, i) => points[Math.floor(((i + 1) * points.length) / count)]!.t);
  const bounds = [...new Set([start, ...cuts, end + 1])];
  return bounds.slice(0, -1).map((from, i) => [from, bounds[i + 1]! - 1]);
}

const sum = (parts: Track[], key: 'total' | 'faulty') => parts.reduce((total, part) => total + part[key], 0);
