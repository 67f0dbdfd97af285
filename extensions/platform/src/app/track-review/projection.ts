import type { TrackPoint } from './load-track.ts';

// Coordinates onto the map's SVG canvas: Web Mercator, fitted to where the sound fixes mostly are. A
// cold-start fix at 0°/0° or a multipath jump would otherwise shrink the whole track to a dot; such
// fixes lie outside the frame and are drawn on its edge.
export interface Frame {
  width: number;
  height: number;
  // x, y on the canvas; `inside` false for a fix outside the frame, then clamped to its edge.
  place: (point: Pick<TrackPoint, 'latitude' | 'longitude'>) => { x: number; y: number; inside: boolean };
}

const mercatorY = (latitude: number) => Math.log(Math.tan(Math.PI / 4 + (Math.max(-85, Math.min(85, latitude)) * Math.PI) / 360));
const mercatorX = (longitude: number) => (longitude * Math.PI) / 180;

// The frame holds the middle 99% of fixes on each axis, plus a margin.
const TRIM = 0.005;
const MARGIN = 0.08;
// Where a fix outside the frame is drawn: far enough in for its marker to show whole.
const EDGE = 6;

export function frameFor(points: TrackPoint[], width: number, height: number): Frame {
  const sound = points.some((p) => !p.faulty) ? points.filter((p) => !p.faulty) : points;
  const xs = sound.map((p) => mercatorX(p.longitude)).sort((a, b) => a - b);
  const ys = sound.map((p) => mercatorY(p.latitude)).sort((a, b) => a - b);
  const [x0, x1] = spread(xs);
  const [y0, y1] = spread(ys);
  const scale = Math.min(width / (x1 - x0), height / (y1 - y0));
  // Centred on the canvas.
  const dx = (width - (x1 - x0) * scale) / 2;
  const dy = (height - (y1 - y0) * scale) / 2;
  return {
    width,
    height,
    place: ({ latitude, longitude }) => {
      const x = dx + (mercatorX(longitude) - x0) * scale;
      const y = height - dy - (mercatorY(latitude) - y0) * scale;
      const inside = x >= 0 && x <= width && y >= 0 && y <= height;
      return { x: clamp(x, EDGE, width - EDGE), y: clamp(y, EDGE, height - EDGE), inside };
    },
  };
}

function spread(sorted: number[]): [number, number] {
  if (sorted.length === 0) return [-1e-4, 1e-4];
  const low = sorted[Math.floor((sorted.length - 1) * TRIM)]!;
  const high = sorted[Math.ceil((sorted.length - 1) * (1 - TRIM))]!;
  // A parked tracker: every fix in one place still needs a frame some metres wide.
  const span = Math.max(high - low, 2e-5);
  const middle = (low + high) / 2;
  return [middle - (span / 2) * (1 + 2 * MARGIN), middle + (span / 2) * (1 + 2 * MARGIN)];
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));
