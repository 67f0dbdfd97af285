// A plausible GPS track for the demo: a loop in the hills south-east of Berat, Albania (the country
// of Rally Albania), densified into a winding road and driven twice (the day's two stages), at 1 Hz
// by a vehicle whose speed follows the terrain, with the kinds of bad fix a Teltonika tracker really
// sends.
import { seededRandom } from '../lib/seeded-random.ts';
import type { Position } from '../telemetry/insert-positions.ts';

export interface Drive {
  imei: string;
  start: Date;
  // Average speed on this stage, km/h.
  averageKmh: number;
  // Stops (retired) after this share of the stage; 1 drives it to the end.
  share: number;
  seed: number;
  // Seconds between fixes.
  interval: number;
}

// Berat → Bogovë → Poliçan → Çorovodë → Gjerbës → Tomorr foothills → Berat.
const WAYPOINTS: Array<[number, number, number]> = [
  [40.7058, 19.9522, 60],
  [40.5897, 20.045, 260],
  [40.6125, 20.0981, 420],
  [40.5042, 20.2272, 480],
  [40.6446, 20.2536, 900],
  [40.66, 20.13, 700],
  [40.7058, 19.9522, 60],
];

const EARTH_M = 6_371_000;
const rad = (deg: number) => (deg * Math.PI) / 180;

function distanceM([lat1, lon1]: readonly number[], [lat2, lon2]: readonly number[]): number {
  const a = Math.sin(rad(lat2! - lat1!) / 2) ** 2 + Math.cos(rad(lat1!)) * Math.cos(rad(lat2!)) * Math.sin(rad(lon2! - lon1!) / 2) ** 2;
  return 2 * EARTH_M * Math.asin(Math.sqrt(a));
}

function bearing([lat1, lon1]: readonly number[], [lat2, lon2]: readonly number[]): number {
  const y = Math.sin(rad(lon2! - lon1!)) * Math.cos(rad(lat2!));
  const x = Math.cos(rad(lat1!)) * Math.sin(rad(lat2!)) - Math.sin(rad(lat1!)) * Math.cos(rad(lat2!)) * Math.cos(rad(lon2! - lon1!));
  return ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360;
}

// The road: a point every 100 m, swinging up to 250 m either side of the straight line, so that
// headings change as on a mountain road. Each point carries its distance from the start.
interface RoadPoint {
  lat: number;
  lon: number;
  alt: number;
  at: number;
}

const road: RoadPoint[] = (() => {
  const points: RoadPoint[] = [];
  let travelled = 0;
  let previous: [number, number] | undefined;
  for (let i = 0; i + 1 < WAYPOINTS.length; i++) {
    const [lat1, lon1, alt1] = WAYPOINTS[i]!;
    const [lat2, lon2, alt2] = WAYPOINTS[i + 1]!;
    const steps = Math.ceil(distanceM([lat1, lon1], [lat2, lon2]) / 100);
    for (let s = 0; s < steps; s++) {
      const f = s / steps;
      // Perpendicular offset, zero at both waypoints.
      const swing = 250 * Math.sin(Math.PI * f) * Math.sin(f * steps * 0.09 + i);
      const dLat = (lat2 - lat1) * f;
      const dLon = (lon2 - lon1) * f;
      const norm = Math.hypot(lat2 - lat1, lon2 - lon1);
      const lat = lat1 + dLat + ((lon2 - lon1) / norm) * (swing / 111_000);
      const lon = lon1 + dLon - ((lat2 - lat1) / norm) * (swing / 85_000);
      if (previous) travelled += distanceM(previous, [lat, lon]);
      points.push({ lat, lon, alt: alt1 + (alt2 - alt1) * f + 40 * Math.sin(f * 17), at: travelled });
      previous = [lat, lon];
    }
  }
  return points;
})();

const LAP_M = road[road.length - 1]!.at;
const LAPS = 2;

// Every fix of one drive, in time order. Three of them are bad in the ways trackers are: a
// multipath jump kilometres off the road, a cold-start fix at 0°/0° without satellites, and a speed
// spike.
export function drive({ imei, start, averageKmh, share, seed, interval }: Drive): Position[] {
  const next = seededRandom(seed);
  const end = LAP_M * LAPS * share;
  const fixes: Position[] = [];
  let at = 0;
  let onLap = 0;
  let index = 0;
  let odometer = 0;
  for (let second = 0; at < end; second += interval) {
    // Slower on the climbs and in the bends, faster on the straights.
    const terrain = 0.75 + 0.25 * Math.sin(at / 2_300 + seed) + 0.1 * (next() - 0.5);
    const speedKmh = Math.max(8, averageKmh * terrain);
    at += (speedKmh / 3.6) * interval;
    odometer += (speedKmh / 3.6) * interval;
    if (at % LAP_M < onLap) index = 0;
    onLap = at % LAP_M;
    while (index + 1 < road.length - 1 && road[index + 1]!.at < onLap) index++;
    const here = road[index]!;
    const ahead = road[Math.min(index + 1, road.length - 1)]!;
    fixes.push({
      device_id: imei,
      ts: new Date(start.getTime() + second * 1000).toISOString(),
      latitude: round(here.lat + (next() - 0.5) * 0.00003, 6),
      longitude: round(here.lon + (next() - 0.5) * 0.00003, 6),
      altitude: round(here.alt + (next() - 0.5) * 4, 1),
      angle: Math.round(bearing([here.lat, here.lon], [ahead.lat, ahead.lon])) % 360,
      speed: Math.round(speedKmh),
      satellites: 9 + Math.floor(next() * 6),
      priority: 0,
      // Teltonika IO elements: 239 ignition, 240 movement, 21 GSM signal, 66 external voltage (mV), 16 odometer (m).
      attributes: { '239': 1, '240': 1, '21': 3 + Math.floor(next() * 3), '66': 13_800 + Math.floor(next() * 400), '16': Math.round(odometer) },
    });
  }
  spoil(fixes, next);
  return fixes;
}

function spoil(fixes: Position[], next: () => number): void {
  if (fixes.length < 100) return;
  const at = (share: number) => fixes[Math.floor(fixes.length * share)]!;
  const jump = at(0.2 + next() * 0.2);
  jump.latitude = round(jump.latitude + 0.03 + next() * 0.04, 6);
  jump.longitude = round(jump.longitude - 0.02 - next() * 0.03, 6);
  jump.satellites = 3;
  const coldStart = at(0.5 + next() * 0.1);
  Object.assign(coldStart, { latitude: 0, longitude: 0, altitude: 0, angle: 0, speed: 0, satellites: 0 });
  const spike = at(0.7 + next() * 0.2);
  spike.speed = 240 + Math.floor(next() * 60);
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
