import { randomBytes } from 'node:crypto';
import type { Page } from 'puppeteer-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_ROLES, FLAG_ROLES } from '../extensions/platform/src/app/shared/organization-roles.ts';
import { loadDemo } from '../scripts/demo/load.ts';
import { DEMO_PASSWORD, demoId, demoSample } from '../scripts/demo/sample.ts';
import { useBrowser, type Session } from './support/browser.ts';
import { withClient } from './support/databases.ts';
import { startHttpOnlyProxy } from './support/http-only-proxy.ts';
import { streamEntries, usePlatform } from './support/platform.ts';
import { createServiceAccount, eventually } from './support/tenants.ts';

// The two back-office screens of the extension bundle (track review, command console) in Debian's
// chromium, signed in through the admin app's login page as the demo's people of the Dune Rally Club,
// with the Admin app policy. What the screens do is checked where it lands: positions and
// recompute_outbox, the commands row, the Redis streams processor and ingestion read.
const DIRECTOR = 'elira.shehu@demo.example.com';
const MARSHAL = 'gent.krasniqi@demo.example.com';
const VIEWER = 'teuta.leka@demo.example.com';
const CLUB = demoId('organization:demo-dune-rally-club');
const RALLY = demoId('event:rally');
const RALLY_WINDOW = ['2026-06-06T06:00:00Z', '2026-06-13T18:00:00Z'];
// Tracker 1 is the timing partner's, lent to the club for entry 1; tracker 2 is the club's own.
const SHARED = { id: demoId('device:1'), imei: '350000000000001' };
const OWN = { id: demoId('device:2'), imei: '350000000000002' };
const INSTANCE = 'ingestion-back-office';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

describe('the back-office screens, in a real browser', () => {
  // Narrower windows and smaller answers than the defaults: the track review reads the rally's week in
  // 12-hour windows, and the thinned one again in pieces.
  const platform = usePlatform('back-office', {
    WEBSOCKETS_ENABLED: 'true',
    PRESSURE_LIMITER_ENABLED: 'false',
    POSITIONS_FLAG_MAX_WINDOW_HOURS: '12',
    POSITIONS_TRACK_MAX_POINTS: '1000',
    // The outbox relay every second, for the request that waits while Redis is away.
    RECOMPUTE_OUTBOX_SCHEDULE: '* * * * * *',
  });
  const browser = useBrowser('back-office');
  const access = new Map<string, string>();
  let adminApp: string;

  // The Admin app policy for one person: one of the licence's seats (3 without a licence, the
  // administrator's included).
  const grantAdminApp = async (email: string) => {
    const { asAdmin, db } = platform();
    const [user] = await db.query<{ id: string }>('SELECT id FROM directus_users WHERE email = $1', [email]);
    return asAdmin<{ id: string }>('POST', '/access', { user: user!.id, policy: adminApp });
  };
  const seat = async (email: string) => {
    const granted = await grantAdminApp(email);
    expect(granted.status, JSON.stringify(granted.body)).toBe(200);
    access.set(email, granted.body!.data!.id);
  };

  beforeAll(async () => {
    const { db, asAdmin } = platform();
    // A fix every 5 s instead of every second: 30 trackers with a few thousand fixes each, quick to load.
    await withClient(db.url, (client) => loadDemo(client, demoSample({ interval: 5 })));
    const policies = await asAdmin<Array<{ id: string }>>('GET', `/policies?filter[name][_eq]=${encodeURIComponent('Admin app')}&fields=id`);
    adminApp = policies.body!.data![0]!.id;
    await seat(DIRECTOR);
    await seat(MARSHAL);
  });

  const open = async (session: Session, module: string) => {
    await session.page.goto(`${platform().server.baseUrl}/admin/${module}`, { waitUntil: 'domcontentloaded' });
  };

  it('offers what the database allows: the roles the screens check are tenant.rules and tenant.may_flag', async () => {
    const { db } = platform();
    const [rule] = await db.query<{ roles: string[] }>(`SELECT roles FROM tenant.rules WHERE collection = 'commands' AND action = 'create'`);
    expect(rule!.roles).toEqual(COMMAND_ROLES);
    const [flag] = await db.query<{ body: string }>(`SELECT pg_get_functiondef('tenant.may_flag'::regproc) AS body`);
    expect(flag!.body).toContain(`ARRAY[${FLAG_ROLES.map((role) => `'${role}'`).join(', ')}]`);
  });

  it('GET /positions/limits gives a signed-in person the bounds the track review reads within, and nobody else anything', async () => {
    const { asAdmin, server } = platform();
    expect((await asAdmin('GET', '/positions/limits')).body?.data).toEqual({ max_window_hours: 12, max_track_points: 1000 });
    expect((await fetch(`${server.baseUrl}/positions/limits`)).status).toBe(401);
  });

  it('track review: a race director picks the rally and the lent tracker, sees every fix, and marks a window faulty, then unmarks it while Redis is away', async () => {
    const { db, redis, server } = platform();
    const session = await browser().signIn(server.baseUrl, DIRECTOR, DEMO_PASSWORD);
    const { page } = session;
    // The module bar of snapshots/config.yaml (module_bar) shows both screens.
    for (const module of ['track-review', 'command-console']) await page.waitForSelector(`.module-bar a[href$="/admin/${module}"]`);
    await page.click('.module-bar a[href$="/admin/track-review"]');

    // Only the club's events: not the timing partner's time trial, nor the platform fixture's rallies.
    await page.waitForSelector('[data-test=event] option:nth-child(2)');
    expect(await choices(page, 'event')).toEqual([RALLY]);
    await page.select('[data-test=event]', RALLY);
    const devices = await db.query<{ id: string }>(
      'SELECT DISTINCT ed.device_id AS id FROM entry_devices ed JOIN entries e ON e.id = ed.entry_id WHERE e.event_id = $1',
      [RALLY],
    );
    await page.waitForSelector('[data-test=device] option:nth-child(2)');
    expect((await choices(page, 'device')).sort()).toEqual(devices.map((d) => d.id).sort());
    expect(devices).toHaveLength(30);

    await page.select('[data-test=device]', SHARED.id);
    const [{ fixes }] = (await db.query<{ fixes: number }>(
      'SELECT count(*)::int AS fixes FROM positions WHERE device_id = $1 AND ts BETWEEN $2 AND $3',
      [SHARED.imei, ...RALLY_WINDOW],
    )) as [{ fixes: number }];
    // Read a day at a time and the busy day again in pieces: every fix drawn, none sampled away.
    await page.waitForSelector(`[data-test=map][aria-label="${fixes} fixes"]`);
    expect(await text(page, 'summary')).not.toContain('sample');
    await session.screenshot('track-review');

    const { from, to } = await brush(page, 0.4, 0.46);
    await page.locator('[data-test=flag-reason]').fill('multipath near the cliffs (back-office test)');
    await page.click('[data-test=mark] button');
    await page.waitForSelector('[data-test=answer]');
    expect(await text(page, 'recompute-status')).toBe('published');

    const [flags] = await db.query<{ flagged: number; inside: number; window: number }>(
      `SELECT count(*) FILTER (WHERE faulty)::int AS flagged, count(*) FILTER (WHERE faulty AND ts BETWEEN $2 AND $3)::int AS inside,
              count(*) FILTER (WHERE ts BETWEEN $2 AND $3)::int AS window FROM positions WHERE device_id = $1`,
      [SHARED.imei, from, to],
    );
    expect(flags!.window).toBeGreaterThan(0);
    expect(flags).toEqual({ flagged: flags!.window, inside: flags!.window, window: flags!.window });
    expect(await db.query('SELECT count(*)::int AS n FROM positions WHERE faulty AND device_id <> $1', [SHARED.imei])).toEqual([{ n: 0 }]);
    expect(await text(page, 'answer')).toContain(`${flags!.window} fixes of ${SHARED.imei} marked faulty`);

    const outbox = await db.query<{ id: string; published: boolean }>(
      `SELECT id::text, published_at IS NOT NULL AS published FROM recompute_outbox
        WHERE device_id = $1 AND window_from = $2 AND window_to = $3 AND faulty AND rows_changed = $4 AND reason = $5
          AND requested_by = (SELECT id FROM directus_users WHERE email = $6)`,
      [SHARED.imei, from, to, flags!.window, 'multipath near the cliffs (back-office test)', DIRECTOR],
    );
    expect(outbox).toEqual([{ id: expect.any(String), published: true }]);
    const entries = await streamEntries(redis.client, 'recompute:requests');
    expect(entries).toEqual([
      expect.objectContaining({ request_id: outbox[0]!.id, device_id: SHARED.imei, from: new Date(from).toISOString(), to: new Date(to).toISOString(), faulty: 'true', rows_changed: String(flags!.window) }),
    ]);

    // Drawn again from the server: the flagged fixes apart from the track.
    await eventually(() => count(page, '[data-test=faulty-fix]'), (n) => n === flags!.window);
    await session.screenshot('track-review-flagged');
    await page.click('[data-test=zoom] button');
    await eventually(() => text(page, 'summary'), (summary) => summary.includes(`fixes of ${SHARED.imei} from ${from} to ${to}`));
    await session.screenshot('track-review-zoomed');

    // Redis away: the unmarking is applied, its request kept in the outbox and said to be pending;
    // the restarted (empty) Redis gets it from the relay.
    await redis.stop();
    await page.click('[data-test=unmark] button');
    await eventually(() => text(page, 'answer'), (answer) => answer.includes('unmarked'));
    expect(await text(page, 'recompute-status')).toBe('pending');
    expect(await text(page, 'answer')).toMatch(/Redis unavailable: .*; it is kept and published once Redis is back/);
    expect(await db.query('SELECT count(*)::int AS n FROM positions WHERE faulty')).toEqual([{ n: 0 }]);
    await session.screenshot('track-review-pending');
    await redis.start();
    const republished = await eventually(() => streamEntries(redis.client, 'recompute:requests'), (list) => list.length > 0);
    expect(republished).toEqual([expect.objectContaining({ device_id: SHARED.imei, faulty: 'false', rows_changed: String(flags!.window) })]);
    expect(session.errors).toEqual([]);
    await session.close();
  });

  it('command console: a race director sees the club’s commands only, sends one, follows it live, and reads a refusal', async () => {
    const { asAdmin, db, redis, server } = platform();
    await redis.client.set(`ingestion:socket:${OWN.imei}`, INSTANCE, 'EX', 600);
    const ingestion = await createServiceAccount(server.baseUrl, asAdmin, 'ingestion', 'Ingestion', `ingestion-${randomBytes(8).toString('hex')}`);
    const session = await browser().signIn(server.baseUrl, DIRECTOR, DEMO_PASSWORD);
    const { page } = session;
    await open(session, 'command-console');
    await page.waitForSelector('[data-test=live-mode][data-mode=live]');

    // The club's commands, not the timing partner's (one of them on the tracker both hold).
    const club = await db.query<{ id: string }>('SELECT id FROM commands WHERE organization_id = $1', [CLUB]);
    await eventually(() => count(page, '[data-test=commands] tr[data-command]'), (n) => n === club.length);
    expect((await listedCommands(page)).sort()).toEqual(club.map((c) => c.id).sort());
    expect(await listedCommands(page)).not.toContain(demoId('command:5'));

    // The form offers the club and its devices (the lent tracker among them), not the partner's own.
    expect(await choices(page, 'send-organization')).toEqual([CLUB]);
    const registered = await db.query<{ id: string }>('SELECT device_id AS id FROM organization_devices WHERE organization_id = $1', [CLUB]);
    await page.waitForSelector('[data-test=send-device] option:nth-child(2)');
    expect((await choices(page, 'send-device')).sort()).toEqual(registered.map((d) => d.id).sort());
    expect(await choices(page, 'send-device')).not.toContain(demoId('device:41'));

    await page.select('[data-test=send-device]', OWN.id);
    await page.locator('[data-test=send-text]').fill('getver');
    await page.click('[data-test=send] button');
    const id = (await text(page, 'send-answer')).match(UUID)![0];
    await page.waitForSelector(`tr[data-command="${id}"][data-status=routed]`);
    expect(await db.query('SELECT organization_id, device_id, codec, command, status, routed_to, requested_by FROM commands WHERE id = $1', [id])).toEqual([
      { organization_id: CLUB, device_id: OWN.id, codec: 'codec12', command: 'getver', status: 'routed', routed_to: INSTANCE, requested_by: demoId('user:Elira Shehu') },
    ]);
    expect(await streamEntries(redis.client, `commands:stream:${INSTANCE}`)).toEqual([
      expect.objectContaining({ command_id: id, imei: OWN.imei, codec: 'codec12', command: 'getver' }),
    ]);

    // Ingestion reports through Directus; the subscription brings it to the open page.
    expect((await ingestion('PATCH', `/items/commands/${id}`, { status: 'sent' })).status).toBe(200);
    await page.waitForSelector(`tr[data-command="${id}"][data-status=sent]`);
    await session.screenshot('command-console');

    // A form left open while an org-admin unregistered the device: the database's sentence, as it came.
    const stale = demoId('device:3');
    const [registration] = await db.query<{ id: string }>('SELECT id FROM organization_devices WHERE organization_id = $1 AND device_id = $2', [CLUB, stale]);
    expect((await asAdmin('DELETE', `/items/organization_devices/${registration!.id}`)).status).toBe(204);
    await page.select('[data-test=send-device]', stale);
    await page.locator('[data-test=send-text]').fill('getgps');
    await page.click('[data-test=send] button');
    await page.waitForSelector('[data-test=send-refusal]');
    expect(await text(page, 'send-refusal')).toBe('You may send commands only to devices registered with an organization where you are org-admin, race-director or marshal.');
    expect(await db.query('SELECT count(*)::int AS n FROM commands WHERE device_id = $1', [stale])).toEqual([{ n: 0 }]);
    await session.screenshot('command-console-refused');
    expect(session.errors).toEqual([]);

    // Behind a proxy that passes no WebSocket, the console reads the list every few seconds instead.
    const proxy = await startHttpOnlyProxy(server.baseUrl);
    try {
      const behind = await browser().signIn(proxy.url, DIRECTOR, DEMO_PASSWORD);
      await behind.page.goto(`${proxy.url}/admin/command-console`, { waitUntil: 'domcontentloaded' });
      await behind.page.waitForSelector('[data-test=live-mode][data-mode=polling]');
      expect(await text(behind.page, 'live-mode')).toContain('The WebSocket is down');
      expect((await ingestion('PATCH', `/items/commands/${id}`, { status: 'acknowledged', response: 'Ver:03.28.07_00' })).status).toBe(200);
      await behind.page.waitForSelector(`tr[data-command="${id}"][data-status=acknowledged]`);
      await page.waitForSelector(`tr[data-command="${id}"][data-status=acknowledged]`);
      await behind.screenshot('command-console-polling');
      expect(behind.errors).toEqual([]);
      await behind.close();
    } finally {
      await proxy.close();
    }
    await session.close();
  });

  it('a marshal reviews tracks but is told flagging is not theirs; may send commands', async () => {
    const session = await browser().signIn(platform().server.baseUrl, MARSHAL, DEMO_PASSWORD);
    const { page } = session;
    await open(session, 'track-review');
    await pickTrack(page, OWN.id);
    expect(await text(page, 'flag-locked')).toBe('Marking fixes faulty is for org-admins, race directors and timekeepers of Dune Rally Club (demo); you are marshal there.');
    expect(await page.$('[data-test=mark]')).toBeNull();
    await session.screenshot('track-review-marshal');
    await open(session, 'command-console');
    await page.waitForSelector('[data-test=send-form]');
    expect(session.errors).toEqual([]);
    await session.close();
  });

  it('a viewer, given the seat the marshal gives up, sees the track read-only and is told commands are not theirs', async () => {
    // Three seats without a licence: the administrator, the director and the marshal hold them.
    const fourth = await grantAdminApp(VIEWER);
    expect(fourth.status).toBe(403);
    expect(fourth.body?.errors?.[0]?.message).toBe('seats limit exceeded.');
    expect((await platform().asAdmin('DELETE', `/access/${access.get(MARSHAL)}`)).status).toBe(204);
    await seat(VIEWER);

    const session = await browser().signIn(platform().server.baseUrl, VIEWER, DEMO_PASSWORD);
    const { page } = session;
    await open(session, 'command-console');
    expect(await text(page, 'commands-closed')).toContain('Device commands are read and sent by org-admins, race directors and marshals of an organization.');
    expect(await page.$('[data-test=commands]')).toBeNull();
    await session.screenshot('command-console-viewer');
    await open(session, 'track-review');
    await pickTrack(page, OWN.id);
    expect(await text(page, 'flag-locked')).toContain('you are viewer there');
    expect(session.errors).toEqual([]);
    await session.close();
  });
});

// The values a <select> offers, its placeholder left out.
const choices = (page: Page, test: string) =>
  page.$$eval(`[data-test=${test}] option`, (options) => options.map((option) => (option as unknown as { value: string }).value).filter(Boolean));

const count = (page: Page, selector: string) => page.$$eval(selector, (elements) => elements.length);

const text = async (page: Page, test: string) => {
  await page.waitForSelector(`[data-test=${test}]`);
  return page.$eval(`[data-test=${test}]`, (element) => element.textContent?.replace(/\s+/g, ' ').trim() ?? '');
};

const listedCommands = (page: Page) => page.$$eval('[data-test=commands] tr[data-command]', (rows) => rows.map((row) => row.getAttribute('data-command')!));

async function pickTrack(page: Page, device: string): Promise<void> {
  await page.waitForSelector('[data-test=event] option:nth-child(2)');
  await page.select('[data-test=event]', RALLY);
  await page.waitForSelector('[data-test=device] option:nth-child(2)');
  await page.select('[data-test=device]', device);
  await page.waitForSelector('[data-test=map]');
}

// Drags across the time axis from one share of its width to another, as an operator selects a
// window; returns the window the inputs then hold.
async function brush(page: Page, start: number, end: number): Promise<{ from: string; to: string }> {
  const box = (await (await page.$('[data-test=timeline]'))!.boundingBox())!;
  await page.mouse.move(box.x + box.width * start, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * end, box.y + box.height / 2, { steps: 8 });
  await page.mouse.up();
  await page.waitForSelector('[data-test=selection-band]');
  const value = (test: string) => page.$eval(`[data-test=${test}]`, (input) => (input as unknown as { value: string }).value);
  const [from, to] = [await value('flag-from'), await value('flag-to')];
  expect(Date.parse(from)).toBeLessThan(Date.parse(to));
  return { from, to };
}
