// Until when an authorization answer holds: the expiry of the token it was given for, and never
// longer than `maxSeconds` (TELEMETRY_AUTHORIZATION_TTL_SECONDS), so that a person removed from an
// organization, or an event closed to the public, stops receiving telemetry within that time even
// with a token that does not expire (a static token) or without a token (public tracking).
// Directus has already verified the token; only its `exp` claim is read here.
export function answerExpiry(token: string | null | undefined, now: Date, maxSeconds: number): string {
  const cap = now.getTime() + maxSeconds * 1000;
  const expires = tokenExpiry(token);
  return new Date(expires === undefined ? cap : Math.min(cap, expires)).toISOString();
}

function tokenExpiry(token: string | null | undefined): number | undefined {
  const payload = token?.split('.')[1];
  if (!payload) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
