// How processor reads positions (docs/contracts/recompute-requests.md): every read skips faulty rows,
// and a recompute reads one device's window in time order, both ends included as in a flag request.
// The storage tests compare its answers before and after compression; bench:telemetry times them.
export const WINDOW_READ = `
  SELECT ts, latitude, longitude, altitude, angle, speed, satellites, priority, attributes
    FROM positions
   WHERE device_id = $1 AND ts BETWEEN $2 AND $3 AND faulty = false
   ORDER BY ts`;

// "Latest positions of a device", newest first ($2 of them), as its live state is rebuilt.
export const LATEST_READ = `
  SELECT ts, latitude, longitude, altitude, angle, speed, satellites, priority, attributes
    FROM positions
   WHERE device_id = $1 AND faulty = false
   ORDER BY ts DESC
   LIMIT $2`;
