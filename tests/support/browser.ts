import { access, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, onTestFailed } from 'vitest';
import { repoDir } from './run.ts';

// Debian's chromium (`.ci/run` installs it) driven by puppeteer-core: the admin app as an operator
// meets it, signed in through its login page. The machine's network is closed, so nothing of
// Chromium's own may try to reach out; the admin app's login background is WebGL, which a machine
// without a GPU renders in software on the page's main thread, so slowly that each keystroke waits
// seconds: 3D is off (the page says so in its console and shows a plain background).
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-3d-apis',
];
// A bound on a hung page, not a timing check: the machine is shared and busy.
const WAIT_MS = 60_000;

export interface Session {
  page: Page;
  // Uncaught errors of the platform's own code in the page (the extension bundle).
  errors: string[];
  // Writes the page as `<name>.png` to the screenshots folder and returns the file.
  screenshot: (name: string) => Promise<string>;
  close: () => Promise<void>;
}

export interface BrowserFixture {
  // Signs in through the admin app's login page, in a browser context of its own (its own cookies).
  signIn: (baseUrl: string, email: string, password: string) => Promise<Session>;
  screenshots: string;
}

// One Chromium for the describe block, with a fresh profile; screenshots go to
// test-results/screenshots/<name>/ (gitignored), emptied first, where a failed run leaves them too.
export function useBrowser(name: string): () => BrowserFixture {
  const screenshots = path.join(repoDir, 'test-results', 'screenshots', name);
  let browser: Browser | undefined;
  let profile: string | undefined;

  beforeAll(async () => {
    await access(CHROMIUM).catch(() => {
      throw new Error(`no Chromium at ${CHROMIUM}: install Debian's (apt-get install chromium; .ci/run does), or name one in CHROMIUM_PATH`);
    });
    await rm(screenshots, { recursive: true, force: true });
    await mkdir(screenshots, { recursive: true });
    profile = await mkdtemp(path.join(tmpdir(), 'trm-chromium-'));
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: [...FLAGS, `--user-data-dir=${profile}`], defaultViewport: { width: 1500, height: 1000 } });
    console.log(`screenshots of the screens: ${screenshots}`);
  });

  afterAll(async () => {
    await browser?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  return () => {
    if (!browser) throw new Error('Chromium did not start (see beforeAll)');
    const running = browser;
    return { screenshots, signIn: (baseUrl, email, password) => signIn(running, screenshots, baseUrl, email, password) };
  };
}

async function signIn(browser: Browser, screenshots: string, baseUrl: string, email: string, password: string): Promise<Session> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const errors: string[] = [];
  page.on('pageerror', (error) => {
    if (String((error as Error).stack).includes('/extensions/')) errors.push(String((error as Error).stack));
  });
  const screenshot = async (shot: string) => {
    await page.waitForNetworkIdle({ idleTime: 300 });
    const file = path.join(screenshots, `${shot}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  };
  // Whatever the page shows when a check fails, next to the screenshots the test takes.
  onTestFailed(async () => {
    if (!page.isClosed()) console.log(`failed on this page: ${await screenshot(`failed-${email.split('@')[0]}`)}`);
  });
  await page.goto(`${baseUrl}/admin/login`, { waitUntil: 'domcontentloaded' });
  await page.locator('input[type=email]').fill(email);
  await page.locator('input[type=password]').fill(password);
  await page.locator('button[type=submit]').click();
  // Signed in: the app shows its module bar, and has settled on its landing page (a click before
  // then would be overtaken by the app's own redirect there).
  await page.waitForSelector('.module-bar');
  await page.waitForNetworkIdle({ idleTime: 500 });
  return { page, errors, screenshot, close: () => context.close() };
}
