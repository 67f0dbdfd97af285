// One voice for every script: a prefix, a timestamp-free line a person can follow, stderr for trouble.
let prefix = '[boot]';

// The schema commands speak as [schema]; the boot and the SQL runner as [boot].
export function setLogPrefix(value: string): void {
  prefix = value;
}

export function info(message: string): void {
  process.stdout.write(`${prefix} ${message}\n`);
}

export function warn(message: string): void {
  process.stderr.write(`${prefix} WARN ${message}\n`);
}

export function error(message: string): void {
  process.stderr.write(`${prefix} ERROR ${message}\n`);
}

export function seconds(startedAt: number): string {
  return `${((performance.now() - startedAt) / 1000).toFixed(2)} s`;
}
