// Layout check of every owner page at phone and desktop sizes, against canned API answers
// (lib/fixtures.js), so it runs before and without the backend. Screenshots go to e2e/artifacts/ for a person
// to look at; the assertions only check that each page rendered its main parts without runtime errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openApp, screenshot, waitForApp } from '../lib/browser.js';
import { makeY4m, facesDir, readCsv } from '../lib/camera.js';
import { routeFixtures } from '../lib/fixtures.js';
import { startServer } from '../lib/server.js';

let server;
let camera;

before(async () => {
  // Always the static server here: the API is canned.
  server = await startServer({ mode: 'static' });
  const faces = facesDir();
  if (faces) {
    const first = readCsv(path.join(faces, 'dev', 'identities.csv')).find((r) => r.identity.startsWith('fr_'))
      || readCsv(path.join(faces, 'dev', 'identities.csv'))[0];
    camera = makeY4m([{ image: path.join(faces, 'dev', first.path), seconds: 1 }]);
  }
});

after(async () => {
  await server?.stop();
});

const PAGES = [
  ['dashboard', 'Dashboard', 'Tren kehadiran 30 hari'],
  ['karyawan', 'Karyawan', 'Budi Santoso'],
  ['register?employee=1', 'Registrasi Wajah', 'Wajah sudah terdaftar'],
  ['izin', 'Izin & Cuti', 'Siti Rahmawati'],
  ['shift', 'Shift', 'Sabtu setengah hari'],
  ['laporan', 'Laporan', 'Ringkasan per karyawan'],
  ['akun', 'Akun', 'Ganti kata sandi'],
];

for (const viewport of ['desktop', 'phone']) {
  test(`owner pages render (${viewport})`, async () => {
    const app = await openApp({ baseURL: server.baseURL, viewport, camera });
    try {
      await routeFixtures(app.page);
      for (const [route, heading, text] of PAGES) {
        await app.page.goto(`/${route}`);
        await waitForApp(app.page);
        try {
          await app.page.getByRole('heading', { name: heading, level: 1 }).waitFor({ timeout: 10000 });
          await app.page.locator('main').getByText(text).locator('visible=true').first().waitFor({ timeout: 10000 });
        } catch (e) {
          await screenshot(app.page, `FAILED-owner-${route.split('?')[0]}-${viewport}`);
          throw e;
        }
        await app.page.waitForTimeout(400); // let charts/camera settle
        await screenshot(app.page, `owner-${route.split('?')[0]}-${viewport}`);
      }
      // The employee picker, open with matches.
      await app.page.goto('/laporan');
      await app.page.getByRole('combobox', { name: 'Karyawan' }).fill('bud');
      await app.page.getByRole('option', { name: /Budi Santoso/ }).waitFor();
      await screenshot(app.page, `owner-picker-open-${viewport}`);
      await app.page.getByRole('option', { name: /Budi Santoso/ }).click();
      assert.match(await app.page.getByRole('combobox', { name: 'Karyawan' }).inputValue(), /Budi Santoso/);
      await app.page.getByRole('button', { name: 'Hapus pilihan' }).click();
      assert.equal(await app.page.getByRole('combobox', { name: 'Karyawan' }).inputValue(), '');
      // A dialog, as people see it.
      await app.page.goto('/karyawan');
      await app.page.getByRole('button', { name: '+ Tambah karyawan' }).click();
      await app.page.getByRole('dialog').waitFor();
      await screenshot(app.page, `owner-karyawan-form-${viewport}`);
      if (viewport === 'phone') {
        await app.page.keyboard.press('Escape');
        await app.page.getByRole('button', { name: 'Menu' }).click();
        await app.page.getByRole('navigation', { name: 'Menu utama' }).getByRole('link', { name: 'Laporan' }).waitFor();
        await screenshot(app.page, 'owner-menu-phone');
      }
      assert.deepEqual(app.consoleErrors.filter((e) => !/Failed to load resource/.test(e)), []);
    } finally {
      await app.close();
    }
  });
}
