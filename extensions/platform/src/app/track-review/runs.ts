import type { TrackPoint } from './load-track.ts';

// A longer silence than this between two fixes is not drawn as a straight line.
const GAP_MS = 5 * 60_000;

// The runs of consecutive fixes that `keep` accepts (faulty fixes and silences break a run), each
// as an SVG point list of `at`'s coordinates; single fixes make no line.
export function runs(points: TrackPoint[], keep: (point: TrackPoint, index: number) => boolean, at: (index: number) => [number, number]): string[] {
  const lines: string[] = [];
  let line: string[] = [];
  let last: number | undefined;
  points.forEach((point, index) => {
    const continues = !point.faulty && keep(point, index);
    if (!continues || (last !== undefined && point.t - last > GAP_MS)) {
      if (line.length > 1) lines.push(line.join(' '));
      line = [];
    }
    if (continues) {
      const [x, y] = at(index);
      line.push(`${x.toFixed(1)},${y.toFixed(1)}`);
      last = point.t;
    }
  });
  if (line.length > 1) lines.push(line.join(' '));
  return lines;
}
