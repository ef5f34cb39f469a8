// Smoke: the SPA loads at /login and /absen (client routes served through the SPA fallback) at phone and
// desktop sizes, without runtime errors, and screenshots go to e2e/artifacts/ for a person to look at.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openApp, screenshot, waitForApp } from '../lib/browser.js';
import { makeY4m, facesDir, readCsv } from '../lib/camera.js';
import { startServer, OFFICE } from '../lib/server.js';
import path from 'node:path';

let server;
let camera = null;

before(async () => {
  server = await startServer();
  console.log(`[smoke] server: ${server.kind} at ${server.baseURL}`);
  // A real face as the fake camera when the shared photos exist; Chromium's test pattern otherwise.
  const faces = facesDir();
  if (faces) {
    const first = readCsv(path.join(faces, 'dev', 'identities.csv')).find((r) => r.identity.startsWith('faceapi_'))
      || readCsv(path.join(faces, 'dev', 'identities.csv'))[0];
    camera = makeY4m([{ image: path.join(faces, 'dev', first.path), seconds: 1 }], { width: 480, height: 640 });
  }
});

after(async () => {
  await server?.stop();
});

for (const viewport of ['phone', 'desktop']) {
  test(`/login renders (${viewport})`, async () => {
    const app = await openApp({ baseURL: server.baseURL, viewport });
    try {
      await app.page.goto('/login');
      await waitForApp(app.page);
      await app.page.getByRole('heading', { name: 'Absensi Wajah' }).waitFor();
      assert.ok(await app.page.getByLabel('E-mail').isVisible());
      assert.ok(await app.page.getByLabel('Kata sandi', { exact: true }).isVisible());
      assert.equal(await app.page.getAttribute('html', 'lang'), 'id');
      await screenshot(app.page, `login-${viewport}`);
      // Wrong credentials show a message instead of navigating (backend) or an error box (static server).
      await app.page.getByLabel('E-mail').fill('salah@contoh.id');
      await app.page.getByLabel('Kata sandi', { exact: true }).fill('bukan-sandi');
      await app.page.getByRole('button', { name: 'Masuk' }).click();
      await app.page.getByRole('alert').waitFor();
      assert.match(app.page.url(), /\/login/);
      await screenshot(app.page, `login-error-${viewport}`);
      assert.deepEqual(app.consoleErrors.filter((e) => !/Failed to load resource/.test(e)), []);
    } finally {
      await app.close();
    }
  });

  test(`/absen renders with camera and GPS (${viewport})`, async () => {
    const app = await openApp({
      baseURL: server.baseURL,
      viewport,
      camera: camera || undefined,
      geolocation: { latitude: OFFICE.latitude + 0.0001, longitude: OFFICE.longitude, accuracy: 8 },
    });
    try {
      await app.page.goto('/absen');
      await waitForApp(app.page);
      await app.page.getByRole('button', { name: 'Absen Sekarang' }).waitFor();
      // The preview plays and is mirrored with CSS only.
      await app.page.waitForFunction(() => {
        const v = document.querySelector('video');
        return v && v.videoWidth > 0 && !v.paused;
      }, null, { timeout: 15000 });
      const transform = await app.page.$eval('video', (v) => getComputedStyle(v).transform);
      assert.match(transform, /matrix\(-1/);
      await app.page.getByText(/Lokasi ±/).waitFor();
      await app.page.waitForTimeout(300);
      await screenshot(app.page, `absen-${viewport}`);
      // The leave form opens in place.
      await app.page.getByRole('button', { name: 'Ajukan Izin / Sakit / Cuti' }).click();
      await app.page.getByRole('heading', { name: 'Pengajuan izin' }).waitFor();
      await screenshot(app.page, `absen-izin-${viewport}`);
      assert.deepEqual(app.consoleErrors.filter((e) => !/Failed to load resource/.test(e)), []);
    } finally {
      await app.close();
    }
  });
}

test('an owner route without a session goes to /login', async (t) => {
  if (server.kind === 'static') {
    t.skip('needs the backend (the static server answers 404, not 401)');
    return;
  }
  const app = await openApp({ baseURL: server.baseURL });
  try {
    await app.page.goto('/karyawan');
    await app.page.waitForURL(/\/login\?next=%2Fkaryawan/);
  } finally {
    await app.close();
  }
});
