// Settings of this bundle, read from Directus's env (which has already cast numeric strings). A bad
// value stops the extension from loading, and the boot sets EXTENSIONS_MUST_LOAD, so Directus with it.
export function positiveNumber(env: Record<string, unknown>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number; it is "${String(raw)}"`);
  return value;
}

export function text(env: Record<string, unknown>, name: string, fallback: string): string {
  const raw = env[name];
  return raw === undefined || raw === '' ? fallback : String(raw);
}
