import { demoSample, type DemoSample } from '../demo/sample.ts';

// The data the upgrade rehearsal puts into the database before the upgrade, and how the upgraded
// Directus reads it back.

// The demo sample, one fix every 10 s (42,000 positions): rows in every business collection, by SQL.
export const rehearsalSample = (): DemoSample => demoSample({ interval: 10 });

// What it writes through the previous Directus's REST API, as an administrator would in the admin
// app: an item of a business collection, and rows of Directus's own tables that the upgrade must keep
// (a folder, a file and its bytes, a comment, a bookmark, a dashboard with a panel, a translation);
// each write leaves its activity and revision rows too.
export const API_WRITES = {
  organization: { name: 'Rehearsal Timing', slug: 'rehearsal-timing' },
  folder: { name: 'Upgrade rehearsal' },
  file: { title: 'Rehearsal start list', filename: 'start-list.csv', type: 'text/csv', content: 'bib,crew\n101,Rehearsal crew\n' },
  comment: 'Written before the upgrade',
  preset: { bookmark: 'Rehearsal organizations', collection: 'organizations', layout: 'tabular', search: 'Rehearsal' },
  dashboard: { name: 'Upgrade rehearsal', icon: 'dashboard' },
  panel: { type: 'label', position_x: 1, position_y: 1, width: 8, height: 4, show_header: false, options: { text: 'Rehearsed' } },
  translation: { language: 'en-US', key: 'upgrade_rehearsal', value: 'Upgrade rehearsal' },
} as const;

export interface Written {
  organization: string;
  folder: string;
  file: string;
  comment: string;
  preset: number;
  dashboard: string;
  panel: string;
  translation: string;
}

type Json = Record<string, unknown>;

export async function login(baseUrl: string, email: string, password: string): Promise<string> {
  const body = await call(baseUrl, undefined, 'POST', '/auth/login', { email, password });
  return String(body['access_token']);
}

export async function writeThroughApi(baseUrl: string, token: string): Promise<Written> {
  const post = async (route: string, body: Json | FormData) => String((await call(baseUrl, token, 'POST', route, body))['id']);
  const organization = await post('/items/organizations', API_WRITES.organization);
  const folder = await post('/folders', API_WRITES.folder);
  const upload = new FormData();
  upload.append('folder', folder);
  upload.append('title', API_WRITES.file.title);
  upload.append('file', new Blob([API_WRITES.file.content], { type: API_WRITES.file.type }), API_WRITES.file.filename);
  const file = await post('/files', upload);
  const comment = await post('/comments', { collection: 'organizations', item: organization, comment: API_WRITES.comment });
  const preset = Number(await post('/presets', API_WRITES.preset));
  const dashboard = await post('/dashboards', API_WRITES.dashboard);
  const panel = await post('/panels', { ...API_WRITES.panel, dashboard });
  const translation = await post('/translations', API_WRITES.translation);
  return { organization, folder, file, comment, preset, dashboard, panel, translation };
}

// Each written item as the upgraded Directus serves it; throws naming every one that differs.
export async function readBackThroughApi(baseUrl: string, token: string, written: Written): Promise<string> {
  const get = (route: string) => call(baseUrl, token, 'GET', route);
  const expected: Array<[string, string, Json]> = [
    ['organization', `/items/organizations/${written.organization}`, API_WRITES.organization],
    ['folder', `/folders/${written.folder}`, API_WRITES.folder],
    ['file', `/files/${written.file}`, { title: API_WRITES.file.title, folder: written.folder, filename_download: API_WRITES.file.filename }],
    ['comment', `/comments/${written.comment}`, { item: written.organization, comment: API_WRITES.comment }],
    ['bookmark', `/presets/${written.preset}`, API_WRITES.preset],
    ['dashboard', `/dashboards/${written.dashboard}`, API_WRITES.dashboard],
    ['panel', `/panels/${written.panel}`, { dashboard: written.dashboard, type: API_WRITES.panel.type, options: API_WRITES.panel.options }],
    ['translation', `/translations/${written.translation}`, API_WRITES.translation],
  ];
  const differing: string[] = [];
  for (const [name, route, fields] of expected) {
    const item = await get(route);
    const wrong = Object.entries(fields).filter(([key, value]) => JSON.stringify(item[key]) !== JSON.stringify(value));
    if (wrong.length > 0) differing.push(`${name} (${wrong.map(([key]) => `${key}: ${JSON.stringify(item[key])}`).join(', ')})`);
  }
  const asset = await fetch(`${baseUrl}/assets/${written.file}`, { headers: { authorization: `Bearer ${token}` } });
  const bytes = asset.ok ? await asset.text() : `HTTP ${asset.status}`;
  if (bytes !== API_WRITES.file.content) differing.push(`the file's bytes (${JSON.stringify(bytes.slice(0, 60))})`);
  if (differing.length > 0) throw new Error(`read back differently: ${differing.join('; ')}`);
  return `read back the ${expected.length} items written before the upgrade and the file's ${API_WRITES.file.content.length} bytes`;
}

async function call(baseUrl: string, token: string | undefined, method: string, route: string, body?: Json | FormData): Promise<Json> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  if (body !== undefined && !(body instanceof FormData)) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${route}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: body instanceof FormData ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route} answered ${response.status}: ${text.slice(0, 300)}`);
  return (JSON.parse(text) as { data: Json }).data;
}
