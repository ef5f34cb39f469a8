// Launches Debian's Chromium through playwright-core (no browser download), with the flags that work as root
// on the project's machines (see shared TOOLCHAIN.md), a fresh profile per run, and optionally a fake camera
// (a .y4m file) and a fixed GPS fix.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const VIEWPORTS = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1366, height: 900 },
};

const BASE_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--lang=id-ID', // Indonesian date inputs and file pickers, as the users see them
];

/** A new temp dir (never inside the repository). */
export function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `absensi-e2e-${prefix}-`));
}

/**
 * Opens a browser context.
 * @param {object} opts
 * @param {string} opts.baseURL  origin of the app, e.g. http://127.0.0.1:8080
 * @param {'phone'|'desktop'|{width:number,height:number}} [opts.viewport]
 * @param {string} [opts.camera] path of a .y4m file to use as the camera (fake device + auto-accepted prompt)
 * @param {{latitude:number, longitude:number, accuracy?:number}} [opts.geolocation] a fixed GPS fix (granted)
 * @returns {Promise<{context: import('playwright-core').BrowserContext, page: import('playwright-core').Page, close: () => Promise<void>, consoleErrors: string[]}>}
 */
export async function openApp({ baseURL, viewport = 'desktop', camera, geolocation } = {}) {
  const userDataDir = tempDir('profile');
  const args = [...BASE_FLAGS];
  if (camera) {
    args.push(
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${camera}`,
    );
  }
  const vp = typeof viewport === 'string' ? VIEWPORTS[viewport] : viewport;
  const isPhone = viewport === 'phone';
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    baseURL,
    viewport: vp,
    deviceScaleFactor: isPhone ? 2 : 1,
    isMobile: isPhone,
    hasTouch: isPhone,
    locale: 'id-ID',
    timezoneId: process.env.E2E_TIMEZONE || 'Asia/Jakarta',
    geolocation: geolocation ? { accuracy: 10, ...geolocation } : undefined,
    permissions: [],
  });
  if (geolocation) {
    await context.grantPermissions(['geolocation'], { origin: baseURL });
  }
  if (camera) {
    await context.grantPermissions(['camera'], { origin: baseURL });
  }
  const page = context.pages()[0] || (await context.newPage());
  const consoleErrors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(String(err)));
  return {
    context,
    page,
    consoleErrors,
    close: async () => {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Where screenshots go (gitignored). */
export const ARTIFACTS = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'artifacts');

export async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  // Full-page captures of a scrolled page draw the sticky top bar mid-page: start from the top.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Waits until the Leptos app has mounted (the boot placeholder is removed and something rendered). */
export async function waitForApp(page) {
  await page.waitForFunction(() => !document.getElementById('boot') && document.body.children.length > 0, null, {
    timeout: 15000,
  });
}
