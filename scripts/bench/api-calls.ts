// The REST calls the API benchmark makes (scripts/bench-api.ts), with fetch.
export async function login(baseUrl: string, credentials: { email: string; password: string }): Promise<string> {
  const response = await fetch(`${baseUrl}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) });
  if (!response.ok) throw new Error(`login ${credentials.email}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { data: { access_token: string } }).data.access_token;
}

export function call(baseUrl: string, token: string, method: string, route: string, body?: unknown): Promise<Response> {
  return fetch(`${baseUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}


export async function expectRows(response: Response, count: number): Promise<void> {
  const body = (await response.json()) as { data?: unknown };
  const rows = Array.isArray(body.data) ? body.data.length : body.data ? 1 : 0;
  if (!response.ok || rows !== count) throw new Error(`${response.status}: ${rows} rows, expected ${count}: ${JSON.stringify(body).slice(0, 300)}`);
}
