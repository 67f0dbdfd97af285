// Synthetic tracker traffic for the telemetry benchmark: each device drives a continuous track at
// 1 Hz (heading, speed and altitude drift, GPS noise, coordinates at the 1e-7 degree resolution of the
// Teltonika AVL format) with the IO elements such a tracker reports. Seeded, so every run loads the
// same rows: compression ratios depend on the data, and a benchmark must compare like with like.
import { seededRandom } from '../lib/seeded-random.ts';
import type { Position } from './insert-positions.ts';

interface Tracker {
  imei: string;
  lat: number;
  lon: number;
  heading: number;
  speed: number;
  altitude: number;
  satellites: number;
  odometer: number;
  gsm: number;
}

const METRES_PER_DEGREE = 111_320;

export function trackers(count: number, seed = 20270605): { imeis: string[]; next: (ts: Date) => Position[] } {
  const random = seededRandom(seed);
  const between = (low: number, high: number) => low + random() * (high - low);
  const fleet: Tracker[] = Array.from({ length: count }, (_, index) => ({
    imei: String(356307042440000 + index * 7),
    lat: between(44.5, 45.5),
    lon: between(6.8, 7.8),
    heading: between(0, 360),
    speed: between(0, 120),
    altitude: between(300, 1800),
    satellites: Math.round(between(7, 14)),
    odometer: Math.round(between(1e6, 9e7)),
    gsm: 4,
  }));
  const next = (ts: Date): Position[] => {
    const iso = ts.toISOString();
    return fleet.map((t) => {
      // A stop now and then; otherwise speed and heading drift as a car's do on a stage.
      t.speed = random() < 0.002 ? 0 : Math.min(180, Math.max(0, t.speed + between(-4, 4.2)));
      t.heading = (t.heading + between(-6, 6) + 360) % 360;
      const metres = t.speed / 3.6;
      const rad = (t.heading * Math.PI) / 180;
      t.lat += (metres * Math.cos(rad)) / METRES_PER_DEGREE;
      t.lon += (metres * Math.sin(rad)) / (METRES_PER_DEGREE * Math.cos((t.lat * Math.PI) / 180));
      t.altitude = Math.min(2800, Math.max(0, t.altitude + between(-1.5, 1.5)));
      t.odometer += Math.round(metres);
      if (random() < 0.01) t.satellites = Math.min(16, Math.max(4, t.satellites + (random() < 0.5 ? -1 : 1)));
      if (random() < 0.005) t.gsm = Math.min(5, Math.max(1, t.gsm + (random() < 0.5 ? -1 : 1)));
      const moving = t.speed > 0 ? 1 : 0;
      return {
        device_id: t.imei,
        ts: iso,
        latitude: fix(t.lat + between(-2e-6, 2e-6)),
        longitude: fix(t.lon + between(-2e-6, 2e-6)),
        altitude: Math.round(t.altitude),
        angle: Math.round(t.heading) % 360,
        speed: Math.round(t.speed),
        satellites: t.satellites,
        priority: random() < 0.001 ? 1 : 0,
        // IO elements by id: ignition, movement, GSM signal, external and battery voltage (mV), total odometer (m), PDOP and HDOP (×10).
        attributes: {
          '239': 1,
          '240': moving,
          '21': t.gsm,
          '66': Math.round(between(13_600, 14_200)),
          '67': Math.round(between(4_050, 4_100)),
          '16': t.odometer,
          '181': Math.round(between(8, 16)),
          '182': Math.round(between(6, 12)),
        },
      };
    });
  };
  return { imeis: fleet.map((t) => t.imei), next };
}

// Teltonika sends coordinates as integers of 1e-7 degrees.
const fix = (degrees: number) => Math.round(degrees * 1e7) / 1e7;
