// One voice for every script: a prefix, a timestamp-free line a person can follow, stderr for trouble.
// Every line passes through redact(): whatever a step quotes (a Directus log tail, a driver's error),
// no secret value from the environment reaches the log.
let prefix = '[boot]';

// The schema commands speak as [schema]; the boot and the SQL runner as [boot].
export function setLogPrefix(value: string): void {
  prefix = value;
}

export function info(message: string): void {
  process.stdout.write(redact(`${prefix} ${message}\n`));
}

export function warn(message: string): void {
  process.stderr.write(redact(`${prefix} WARN ${message}\n`));
}

export function error(message: string): void {
  process.stderr.write(redact(`${prefix} ERROR ${message}\n`));
}

export function seconds(startedAt: number): string {
  return `${((performance.now() - startedAt) / 1000).toFixed(2)} s`;
}

// Secrets by name (KEY, SECRET, *_PASSWORD, *_TOKEN, *_SECRET, *_KEY) and the password of any URL
// setting (DB_CONNECTION_STRING, REDIS). Values shorter than 6 characters would blank ordinary words.
const SECRET_NAME = /^(KEY|SECRET)$|_(PASSWORD|TOKEN|SECRET|KEY)$/;
const MIN_SECRET_LENGTH = 6;

export function redact(text: string, env: NodeJS.ProcessEnv = process.env): string {
  let result = text;
  for (const secret of secretValues(env)) result = result.split(secret).join('***');
  return result;
}

function secretValues(env: NodeJS.ProcessEnv): string[] {
  const values = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if (SECRET_NAME.test(name)) values.add(value);
    for (const password of urlPassword(value)) values.add(password);
  }
  // Longest first: a secret that contains another is blanked whole.
  return [...values].filter((value) => value.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

// As written in the URL and decoded: a tool may quote either.
function urlPassword(value: string): string[] {
  if (!value.includes('://')) return [];
  try {
    const password = new URL(value).password;
    return password ? [password, decodeURIComponent(password)] : [];
  } catch {
    return [];
  }
}
