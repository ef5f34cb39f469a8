// The owner's journey through the real backend, step by step, as a person clicks it: log in, create a shift,
// create/edit/deactivate an employee with a profile photo, register the face with the (fake) camera, then the
// employee's /absen with a fixed liveness challenge, a leave request and the report downloads.
// Steps whose endpoints the backend does not offer yet (per its /api/openapi.json) are skipped, saying so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openApp, screenshot, waitForApp } from '../lib/browser.js';
import { blinkY4m, livenessSubject, makeY4m, removeClip } from '../lib/camera.js';
import { startServer, OFFICE } from '../lib/server.js';
import { api, isoDate, kioskReady, login } from '../lib/app.js';

let server;
let paths = new Set();
let owner; // one logged-in browser for the owner steps
const clips = [];
const state = { shift: 'Reguler E2E', kode: `E2E${Date.now() % 100000}`, nama: 'Rina Uji Coba' };

function has(method, p) {
  return paths.has(`${method.toUpperCase()} ${p}`);
}

before(async () => {
  server = await startServer({ env: { LIVENESS_FIXED_CHALLENGE: 'BLINK' } });
  if (server.kind === 'static') return;
  try {
    const spec = await (await fetch(`${server.baseURL}/api/openapi.json`)).json();
    for (const [p, ops] of Object.entries(spec.paths || {})) {
      for (const m of Object.keys(ops)) paths.add(`${m.toUpperCase()} ${p}`);
    }
  } catch {
    /* no spec: every optional step skips */
  }
  // The registration camera shows the frontal eyes-open photo of the person whose blink clip /absen uses
  // later (from the shared set, if this machine has it).
  const subject = livenessSubject();
  let camera;
  if (subject) {
    state.facePhoto = subject.open;
    camera = makeY4m([{ image: state.facePhoto, seconds: 2 }]);
    clips.push(camera);
  }
  owner = await openApp({ baseURL: server.baseURL, viewport: 'desktop', camera });
  owner.page.on('dialog', (d) => d.accept());
});

after(async () => {
  await owner?.close();
  for (const c of clips) removeClip(c);
  await server?.stop();
});

const needsBackend = (t) => {
  if (!server || server.kind === 'static') {
    t.skip('needs the backend binary (cargo build -p backend)');
    return true;
  }
  return false;
};

test('owner logs in', async (t) => {
  if (needsBackend(t)) return;
  await login(owner.page);
  await waitForApp(owner.page);
  await owner.page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
  await screenshot(owner.page, 'journey-01-dashboard');
});

test('owner creates a shift', async (t) => {
  if (needsBackend(t)) return;
  const p = owner.page;
  await p.getByRole('navigation', { name: 'Menu utama' }).getByRole('link', { name: 'Shift' }).click();
  await p.getByRole('button', { name: '+ Tambah shift' }).click();
  const dlg = p.getByRole('dialog');
  await dlg.getByLabel('Nama shift *').fill(state.shift);
  await dlg.getByLabel('Jam masuk *').fill('08:00');
  await dlg.getByLabel('Jam pulang *').fill('17:00');
  await dlg.getByLabel('Toleransi terlambat (menit)').fill('10');
  await dlg.getByRole('button', { name: 'Simpan' }).click();
  await dlg.waitFor({ state: 'detached' });
  await p.getByRole('cell', { name: state.shift }).waitFor();
  const { body } = await api(p, 'GET', '/api/shifts');
  const s = body.find((x) => x.nama === state.shift);
  assert.ok(s, 'shift exists in the API');
  assert.equal(s.jam_masuk, '08:00');
  assert.equal(s.toleransi_menit, 10);
  state.shiftId = s.id;
  await screenshot(p, 'journey-02-shift');
});

test('owner creates, edits, deactivates and reactivates an employee', async (t) => {
  if (needsBackend(t)) return;
  const p = owner.page;
  await p.getByRole('navigation', { name: 'Menu utama' }).getByRole('link', { name: 'Karyawan' }).click();
  await p.getByRole('button', { name: '+ Tambah karyawan' }).click();
  let dlg = p.getByRole('dialog');
  await dlg.getByLabel('Kode karyawan *').fill(state.kode);
  await dlg.getByLabel('Nama lengkap *').fill('Rina Coba');
  await dlg.getByLabel('E-mail').fill('rina.coba@contoh.id');
  await dlg.getByLabel('Shift').selectOption({ label: `${state.shift} (08:00–17:00)` });
  await dlg.getByRole('button', { name: 'Simpan' }).click();
  await dlg.waitFor({ state: 'detached' });
  const row = () => p.getByRole('row').filter({ hasText: state.kode });
  await row().waitFor();

  // Edit: the new name shows in the list.
  await row().getByRole('button', { name: 'Ubah' }).click();
  dlg = p.getByRole('dialog');
  await dlg.getByLabel('Nama lengkap *').fill(state.nama);
  await dlg.getByRole('button', { name: 'Simpan' }).click();
  await dlg.waitFor({ state: 'detached' });
  await row().getByText(state.nama).waitFor();

  // Search finds it.
  await p.getByLabel('Cari').fill(state.kode);
  await p.waitForFunction((k) => document.querySelectorAll('tbody tr').length === 1 && document.querySelector('tbody').textContent.includes(k), state.kode);

  const { body } = await api(p, 'GET', `/api/employees?q=${state.kode}`);
  state.employeeId = body.items[0].id;
  assert.equal(body.items[0].shift_id, state.shiftId);

  // Deactivate (confirm dialog accepted), then find it under "Nonaktif" and reactivate.
  await row().getByRole('button', { name: 'Nonaktifkan' }).click();
  await row().waitFor({ state: 'detached' });
  await p.getByLabel('Status').selectOption('false');
  await row().getByRole('button', { name: 'Aktifkan' }).click();
  await row().waitFor({ state: 'detached' });
  await p.getByLabel('Status').selectOption('true');
  await row().waitFor();
  await screenshot(p, 'journey-03-karyawan');
});

test('owner uploads a profile photo', async (t) => {
  if (needsBackend(t)) return;
  if (!state.facePhoto) return t.skip('shared face photos not on this machine');
  const p = owner.page;
  const row = p.getByRole('row').filter({ hasText: state.kode });
  await row.getByRole('button', { name: 'Foto' }).click();
  const dlg = p.getByRole('dialog');
  await dlg.locator('input[type=file]').setInputFiles(state.facePhoto);
  await dlg.getByRole('button', { name: 'Unggah' }).click();
  await dlg.waitFor({ state: 'detached' });
  await row.locator('img.avatar').waitFor();
  // the <img> is in the row before its bytes are: wait for it to load or fail (it raced once, 2026-12-02)
  const ok = await row.locator('img.avatar').evaluate((img) =>
    img.complete
      ? img.naturalWidth > 0
      : new Promise((resolve) => {
          img.addEventListener('load', () => resolve(img.naturalWidth > 0), { once: true });
          img.addEventListener('error', () => resolve(false), { once: true });
        }),
  );
  assert.ok(ok, 'the avatar image loads from /api/employees/{id}/photo');
});

test('owner registers the face with the camera', async (t) => {
  if (needsBackend(t)) return;
  if (!has('POST', '/api/employees/{id}/face')) return t.skip('backend has no POST /api/employees/{id}/face yet');
  if (!state.facePhoto) return t.skip('shared face photos not on this machine');
  const p = owner.page;
  await p.goto(`/register?employee=${state.employeeId}`);
  await p.getByText('Wajah karyawan ini belum terdaftar.').waitFor();
  await p.waitForFunction(() => document.querySelector('video')?.videoWidth > 0);
  await p.getByRole('button', { name: 'Mulai ambil foto' }).click();
  await p.getByText('Semua foto panduan sudah diambil').waitFor({ timeout: 40000 });
  await p.getByLabel(/Karyawan telah menyetujui/).check();
  await p.getByRole('button', { name: 'Daftarkan wajah' }).click();
  try {
    await p.getByText(/Wajah sudah terdaftar/).first().waitFor({ timeout: 30000 });
  } catch (e) {
    await screenshot(p, 'FAILED-journey-04-register');
    console.log(server.log().slice(-2000));
    throw e;
  }
  await screenshot(p, 'journey-04-register');
  const { body } = await api(p, 'GET', `/api/employees/${state.employeeId}/face`);
  assert.equal(body.registered, true);
});

test('employee checks in on /absen with a blink', async (t) => {
  if (needsBackend(t)) return;
  if (!has('POST', '/api/kiosk/attend')) return t.skip('backend has no POST /api/kiosk/attend yet');
  const blink = blinkY4m();
  if (!blink) return t.skip('shared liveness photos not on this machine');
  clips.push(blink.file);
  // The employee registered above is this person (same frontal photo).
  const kiosk = await openApp({
    baseURL: server.baseURL,
    viewport: 'phone',
    camera: blink.file,
    geolocation: { latitude: OFFICE.latitude, longitude: OFFICE.longitude, accuracy: 8 },
  });
  try {
    await kiosk.page.goto('/absen');
    // Each frame goes to /api/kiosk/frame as it is captured; attend says how many it found analysed.
    const ahead = [];
    kiosk.page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/api/kiosk/frame') ahead.push(r);
    });
    const attended = kiosk.page.waitForResponse((r) => new URL(r.url()).pathname === '/api/kiosk/attend', { timeout: 45000 });
    await kiosk.page.getByRole('button', { name: 'Absen Sekarang' }).click();
    await kiosk.page.locator('.prompt-big', { hasText: 'Kedipkan mata' }).waitFor({ timeout: 15000 });
    const result = kiosk.page.locator('.result');
    await result.waitFor({ timeout: 30000 });
    await screenshot(kiosk.page, 'journey-05-absen-result');
    const text = await result.innerText();
    assert.ok(await kiosk.page.locator('.result.ok').count(), `check-in refused: ${text}\n${server.log().slice(-1500)}`);
    assert.match(text, new RegExp(state.nama));
    assert.match(text, /Absen masuk berhasil/);
    // One request ahead per frame but the last (the same bytes as attend's: kiosk.test.js), every one
    // answered 200, and attend found every one (the latest may still have been under way: attend waits
    // for it rather than analysing it twice). The last frame, not sent ahead, is found too when the fake
    // camera gave the same picture twice.
    const statuses = await Promise.all(ahead.map(async (r) => (await r.response())?.status()));
    assert.ok(ahead.length >= 7 && statuses.every((s) => s === 200), `frames sent ahead: ${statuses}`);
    const prepared = Number((await attended).headers()['x-prepared-frames']);
    assert.ok(prepared === ahead.length || prepared === ahead.length + 1, `X-Prepared-Frames ${prepared}, ${ahead.length} frames sent ahead`);
    state.checkedIn = true;
  } finally {
    await kiosk.close();
  }
});

/** Runs /absen once with `camera` and `geolocation`; returns the result screen's text and whether it was a success. */
async function absenOnce(camera, geolocation, shot) {
  const kiosk = await openApp({ baseURL: server.baseURL, viewport: 'phone', camera, geolocation });
  try {
    await kiosk.page.goto('/absen');
    await kiosk.page.getByRole('button', { name: 'Absen Sekarang' }).click();
    const result = kiosk.page.locator('.result');
    await result.waitFor({ timeout: 30000 });
    await screenshot(kiosk.page, shot);
    return { text: await result.innerText(), ok: (await kiosk.page.locator('.result.ok').count()) > 0 };
  } finally {
    await kiosk.close();
  }
}

test('the same employee 1.1 km from the office is refused by the geofence', async (t) => {
  if (needsBackend(t)) return;
  if (!state.checkedIn) return t.skip('the check-in step did not pass in this run');
  const blink = blinkY4m();
  clips.push(blink.file);
  const before = await api(owner.page, 'GET', `/api/attendance?employee_id=${state.employeeId}`);
  const far = { latitude: OFFICE.latitude - 0.01, longitude: OFFICE.longitude, accuracy: 8 };
  const r = await absenOnce(blink.file, far, 'journey-05b-absen-outside');
  assert.equal(r.ok, false, r.text);
  assert.match(r.text, /di luar area kantor/i);
  assert.match(r.text, /Kantor Pusat/);
  // The day's check-in is kept as it was (a refused attempt never overwrites a real check-in).
  const after = await api(owner.page, 'GET', `/api/attendance?employee_id=${state.employeeId}`);
  assert.deepEqual(after.body.items, before.body.items);
});

test('a still photo of the employee held up to the camera is refused by liveness', async (t) => {
  if (needsBackend(t)) return;
  if (!state.checkedIn) return t.skip('the check-in step did not pass in this run');
  const still = makeY4m([{ image: state.facePhoto, seconds: 2 }], { name: 'still' });
  clips.push(still);
  const inside = { latitude: OFFICE.latitude, longitude: OFFICE.longitude, accuracy: 8 };
  const r = await absenOnce(still, inside, 'journey-05c-absen-still-photo');
  assert.equal(r.ok, false, r.text);
  assert.match(r.text, /kedip/i, `the refusal names the missing blink: ${r.text}`);
});

/** The next Monday (or the Monday after, with weeks=1), as YYYY-MM-DD. */
function monday(weeks = 0) {
  const d = new Date();
  d.setDate(d.getDate() + ((8 - d.getDay()) % 7 || 7) + 7 * weeks);
  return isoDate(d);
}
function plusDays(iso, n) {
  const d = new Date(`${iso}T12:00:00`);
  d.setDate(d.getDate() + n);
  return isoDate(d);
}

test('the dashboard shows the check-in', async (t) => {
  if (needsBackend(t)) return;
  if (!state.checkedIn) return t.skip('no check-in happened in this run');
  const p = owner.page;
  await p.goto('/dashboard');
  await p.getByRole('heading', { name: 'Aktivitas terbaru' }).waitFor();
  await p.locator('.list-item', { hasText: state.nama }).first().waitFor();
  await screenshot(p, 'journey-06-dashboard');
});

test('owner records a leave with a proof photo, approves it and views the proof', async (t) => {
  if (needsBackend(t)) return;
  if (!state.facePhoto) return t.skip('shared face photos not on this machine (used as the proof image)');
  const p = owner.page;
  await p.goto('/izin');
  await p.getByRole('button', { name: '+ Buat pengajuan' }).click();
  const dlg = p.getByRole('dialog');
  // The employee picker searches as you type (a combobox over /api/employees?q=).
  await dlg.getByRole('combobox', { name: 'Karyawan *' }).fill(state.kode);
  await dlg.getByRole('option', { name: `${state.kode} — ${state.nama}` }).click();
  await dlg.getByRole('radio', { name: 'Cuti' }).check();
  const start = monday(1);
  await dlg.getByLabel('Mulai *').fill(start);
  await dlg.getByLabel('Selesai *').fill(plusDays(start, 1));
  await dlg.getByLabel('Alasan *').fill('Acara keluarga');
  await dlg.locator('input[type=file]').setInputFiles(state.facePhoto);
  await dlg.getByRole('button', { name: 'Simpan' }).click();
  await dlg.waitFor({ state: 'detached' });
  const row = p.getByRole('row').filter({ hasText: state.nama }).filter({ hasText: 'Cuti' });
  await row.waitFor();
  await row.getByRole('button', { name: 'Bukti' }).click();
  const proof = p.getByRole('dialog').locator('img.proof');
  await proof.waitFor();
  await p.waitForFunction(() => document.querySelector('img.proof')?.naturalWidth > 0);
  await screenshot(p, 'journey-07-izin-bukti');
  await p.keyboard.press('Escape');
  await row.getByRole('button', { name: 'Setujui' }).click();
  await row.waitFor({ state: 'detached' }); // leaves the "Menunggu" list
  const { body } = await api(p, 'GET', `/api/leaves?employee_id=${state.employeeId}`);
  const leave = body.items.find((l) => l.tanggal_mulai === start);
  assert.equal(leave?.status, 'DISETUJUI');
  assert.equal(leave?.jenis, 'Cuti');
});

test('employee requests sick leave on /absen after face verification', async (t) => {
  if (needsBackend(t)) return;
  if (!state.checkedIn) return t.skip('the check-in step did not pass in this run');
  const blink = blinkY4m();
  clips.push(blink.file);
  const kiosk = await openApp({
    baseURL: server.baseURL,
    viewport: 'phone',
    camera: blink.file,
    geolocation: { latitude: OFFICE.latitude, longitude: OFFICE.longitude, accuracy: 8 },
  });
  try {
    const k = kiosk.page;
    await k.goto('/absen');
    await kioskReady(k);
    await k.getByRole('button', { name: 'Ajukan Izin / Sakit / Cuti' }).click();
    await k.getByRole('heading', { name: 'Pengajuan izin' }).waitFor();
    await k.getByRole('radio', { name: 'Sakit' }).check();
    const start = monday(2);
    await k.getByLabel('Mulai').fill(start);
    await k.getByLabel('Selesai').fill(start);
    await k.getByLabel('Alasan').fill('Kontrol ke dokter');
    await k.getByRole('button', { name: 'Verifikasi wajah & kirim' }).click();
    const result = k.locator('.result');
    await result.waitFor({ timeout: 30000 });
    await screenshot(k, 'journey-08-absen-izin');
    const text = await result.innerText();
    assert.ok(await k.locator('.result.ok').count(), `leave refused: ${text}`);
    assert.match(text, /Pengajuan terkirim/);
  } finally {
    await kiosk.close();
  }
  const { body } = await api(owner.page, 'GET', `/api/leaves?status=PENDING&employee_id=${state.employeeId}`);
  assert.ok(body.items.some((l) => l.jenis === 'Sakit'), 'the pending sick leave is listed for the owner');
});

test('the report lists the check-in; employees import from xlsx (dry run, then apply)', async (t) => {
  if (needsBackend(t)) return;
  const p = owner.page;
  await p.goto('/laporan');
  await p.getByRole('heading', { name: 'Ringkasan per karyawan' }).waitFor();
  if (state.checkedIn) await p.getByRole('cell', { name: new RegExp(state.nama) }).first().waitFor();
  // The current employees exported as .xlsx are a valid import file: nothing new, all updated.
  const r = await p.request.get('/api/employees/export');
  assert.equal(r.status(), 200);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'absensi-e2e-import-'));
  const xlsx = path.join(dir, 'karyawan.xlsx');
  fs.writeFileSync(xlsx, await r.body());
  try {
    await p.getByLabel('Berkas Excel karyawan').setInputFiles(xlsx);
    await p.getByRole('button', { name: 'Periksa (uji coba)' }).click();
    await p.getByText(/^Uji coba: \d+ baris/).waitFor();
    await screenshot(p, 'journey-09-laporan-import');
    await p.getByRole('button', { name: 'Terapkan impor' }).click();
    await p.getByText(/^Diterapkan: \d+ baris/).waitFor();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('report downloads as xlsx and pdf', async (t) => {
  if (needsBackend(t)) return;
  if (!has('GET', '/api/reports/attendance')) return t.skip('backend has no GET /api/reports/attendance yet');
  const p = owner.page;
  await p.goto('/laporan');
  for (const [button, ext] of [['⬇ Excel (.xlsx)', 'xlsx'], ['⬇ PDF', 'pdf']]) {
    const [download] = await Promise.all([p.waitForEvent('download'), p.getByRole('button', { name: button }).click()]);
    const file = await download.path();
    assert.ok(download.suggestedFilename().endsWith(`.${ext}`));
    assert.ok(fs.statSync(file).size > 0);
  }
});
