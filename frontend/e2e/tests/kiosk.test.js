// The /absen page's side of the kiosk protocol, with the kiosk endpoints answered by the test (page.route), so
// it runs with or without the backend: it asks for a challenge, shows each step as a prompt, sends each frame
// but the last ahead as it is captured, then ONE multipart request with the token, the GPS fix and the 8–20 JPEG frames
// (NOT mirrored), and shows the result (or the refusal with what to do), then resets itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openApp, screenshot, waitForApp } from '../lib/browser.js';
import { splitY4m, removeClip } from '../lib/camera.js';
import { answer } from '../lib/fixtures.js';
import { startServer, OFFICE } from '../lib/server.js';

let server;
let clip;

before(async () => {
  server = await startServer({ mode: 'static' });
  clip = splitY4m();
});

after(async () => {
  removeClip(clip);
  await server?.stop();
});

/** Splits a multipart/form-data body into parts {name, filename, type, data}. */
function parseMultipart(buf, contentType) {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  assert.ok(boundary, 'multipart boundary');
  const delim = Buffer.from(`--${boundary[1] || boundary[2]}`);
  const parts = [];
  let pos = buf.indexOf(delim);
  while (pos !== -1) {
    const start = pos + delim.length;
    if (buf.slice(start, start + 2).toString() === '--') break;
    const next = buf.indexOf(delim, start);
    const part = buf.slice(start + 2, next - 2); // skip CRLF after the delimiter and before the next one
    const sep = part.indexOf('\r\n\r\n');
    const head = part.slice(0, sep).toString();
    parts.push({
      name: /name="([^"]*)"/.exec(head)?.[1],
      filename: /filename="([^"]*)"/.exec(head)?.[1],
      type: /Content-Type:\s*(\S+)/i.exec(head)?.[1],
      data: part.slice(sep + 4),
    });
    pos = next;
  }
  return parts;
}

test('/absen: challenge prompts, one multipart burst, unmirrored frames, result and refusal screens', async () => {
  const app = await openApp({
    baseURL: server.baseURL,
    viewport: 'phone',
    camera: clip,
    geolocation: { latitude: OFFICE.latitude + 0.00005, longitude: OFFICE.longitude, accuracy: 7 },
  });
  const requests = [];
  const ahead = [];
  const leaveRequests = [];
  let attendAnswer = { status: 200, body: {} };
  try {
    await app.page.route('**/api/**', async (route) => {
      const req = route.request();
      const url = new URL(req.url());
      if (url.pathname === '/api/kiosk/challenge') {
        assert.equal(req.method(), 'POST');
        const expires = new Date(Date.now() + 20000).toISOString();
        return route.fulfill({ json: { token: 'tok-123', steps: ['BLINK', 'TURN_LEFT'], expires_at: expires } });
      }
      if (url.pathname === '/api/kiosk/frame') {
        ahead.push(parseMultipart(req.postDataBuffer(), req.headers()['content-type']));
        return route.fulfill({ json: { faces_found: 1 } });
      }
      if (url.pathname === '/api/kiosk/attend') {
        requests.push({ body: req.postDataBuffer(), type: req.headers()['content-type'] });
        return route.fulfill({ status: attendAnswer.status, json: attendAnswer.body });
      }
      if (url.pathname === '/api/kiosk/leave') {
        leaveRequests.push({ body: req.postDataBuffer(), type: req.headers()['content-type'] });
        const f = Object.fromEntries(parseMultipart(req.postDataBuffer(), req.headers()['content-type'])
          .filter((p) => p.name !== 'frame').map((p) => [p.name, p.data.toString()]));
        return route.fulfill({ status: 201, json: { id: 9, employee_id: 7, kode: 'K007', nama: 'Joko Susilo', jenis: f.jenis, alasan: `${f.jenis}: ${f.alasan}`, keterangan: f.alasan, tanggal_mulai: f.tanggal_mulai, tanggal_selesai: f.tanggal_selesai, hari: 2, bukti_url: null, status: 'PENDING' } });
      }
      const body = answer(req.method(), url);
      return body ? route.fulfill({ json: body }) : route.fulfill({ status: 404, json: { error: { code: 'NOT_FOUND', message: 'x' } } });
    });
    const page = app.page;
    await page.goto('/absen');
    await waitForApp(page);
    await page.getByText('PT Contoh Sejahtera').waitFor();
    // Geofence on: the distance to the office is shown.
    await page.getByText(/dari Kantor Pusat/).waitFor();

    // 1. Success: late check-in.
    attendAnswer = {
      status: 200,
      body: { employee_id: 7, nama: 'Joko Susilo', similarity: 0.83, liveness_ok: true, action: 'CHECK_IN', status: 'TERLAMBAT', time: '08:12', late_minutes: 12, message: 'Absen masuk tercatat.' },
    };
    await page.getByRole('button', { name: 'Absen Sekarang' }).click();
    await page.locator('.prompt-big', { hasText: 'Kedipkan mata' }).waitFor({ timeout: 10000 });
    await screenshot(page, 'kiosk-prompt-blink-phone');
    await page.locator('.prompt-big', { hasText: 'Tolehkan kepala ke kiri' }).waitFor({ timeout: 10000 });
    const result = page.locator('.result');
    await result.waitFor({ timeout: 20000 });
    await page.getByText('Terlambat 12 menit').waitFor();
    assert.match(await result.innerText(), /Absen masuk berhasil[\s\S]*Joko Susilo[\s\S]*08:12/);
    await screenshot(page, 'kiosk-result-ok-phone');

    assert.equal(requests.length, 1, 'one request per attempt');
    const parts = parseMultipart(requests[0].body, requests[0].type);
    const field = (n) => parts.find((p) => p.name === n)?.data.toString();
    assert.equal(field('challenge'), 'tok-123');
    assert.ok(Math.abs(Number(field('latitude')) - (OFFICE.latitude + 0.00005)) < 1e-9);
    assert.ok(Math.abs(Number(field('longitude')) - OFFICE.longitude) < 1e-9);
    assert.equal(Number(field('accuracy')), 7);
    const frames = parts.filter((p) => p.name === 'frame');
    assert.ok(frames.length >= 8 && frames.length <= 20, `8–20 frames, got ${frames.length}`);
    for (const f of frames) {
      assert.equal(f.type, 'image/jpeg');
      assert.equal(f.data[0], 0xff);
      assert.equal(f.data[1], 0xd8);
    }
    // Each frame but the last was also sent ahead, alone with the token, as the same bytes (the server
    // finds its analysis by the frame's digest), while the burst was being captured.
    assert.equal(ahead.length, frames.length - 1, 'one request ahead per frame but the last');
    for (const [i, p] of ahead.entries()) {
      assert.equal(p.find((q) => q.name === 'challenge')?.data.toString(), 'tok-123');
      const sent = p.filter((q) => q.name === 'frame');
      assert.equal(sent.length, 1);
      assert.ok(sent[0].data.equals(frames[i].data), `frame ${i + 1} sent ahead byte for byte`);
    }
    // Not mirrored: the camera's left half is black and its right half white, and so is the frame.
    const sides = await page.evaluate(async (b64) => {
      const blob = await (await fetch(`data:image/jpeg;base64,${b64}`)).blob();
      const bmp = await createImageBitmap(blob);
      const c = new OffscreenCanvas(bmp.width, bmp.height);
      const ctx = c.getContext('2d');
      ctx.drawImage(bmp, 0, 0);
      const px = (x) => ctx.getImageData(x, bmp.height >> 1, 1, 1).data[0];
      return { width: bmp.width, left: px(bmp.width * 0.25), right: px(bmp.width * 0.75) };
    }, frames[0].data.toString('base64'));
    assert.ok(sides.width <= 640, 'frames at most 640 px wide');
    assert.ok(sides.left < 60 && sides.right > 200, `frame not mirrored (left ${sides.left}, right ${sides.right})`);

    // Auto-reset back to the start screen.
    await result.waitFor({ state: 'detached', timeout: 10000 });
    await page.getByRole('button', { name: 'Absen Sekarang' }).waitFor();

    // 2. Refusal: outside the geofence, with what to do.
    attendAnswer = { status: 403, body: { error: { code: 'OUTSIDE_GEOFENCE', message: 'Anda berada 230 m dari Kantor Pusat (batas 50 m).' } } };
    await page.getByRole('button', { name: 'Absen Sekarang' }).click();
    await result.waitFor({ timeout: 20000 });
    const text = await result.innerText();
    assert.match(text, /Absen gagal/);
    assert.match(text, /230 m dari Kantor Pusat/);
    assert.match(text, /di luar area kantor/);
    await screenshot(page, 'kiosk-result-refused-phone');
    await page.getByRole('button', { name: /Selesai/ }).click();
    await page.getByRole('button', { name: 'Absen Sekarang' }).waitFor();
    assert.equal(requests.length, 2);

    // 3. The employee's own leave request, sent after the same face + liveness capture.
    await page.getByRole('button', { name: 'Ajukan Izin / Sakit / Cuti' }).click();
    await page.getByRole('radio', { name: 'Sakit' }).check();
    await page.getByLabel('Mulai').fill('2026-11-25');
    await page.getByLabel('Selesai').fill('2026-11-26');
    await page.getByLabel('Alasan').fill('Demam, istirahat di rumah');
    await page.getByRole('button', { name: 'Verifikasi wajah & kirim' }).click();
    await result.waitFor({ timeout: 20000 });
    assert.match(await result.innerText(), /Pengajuan terkirim[\s\S]*Joko Susilo[\s\S]*Sakit · 25–26 Nov 2026/);
    await screenshot(page, 'kiosk-leave-sent-phone');
    assert.equal(leaveRequests.length, 1);
    const lp = parseMultipart(leaveRequests[0].body, leaveRequests[0].type);
    const lf = (n) => lp.find((p) => p.name === n)?.data.toString();
    assert.equal(lf('jenis'), 'Sakit');
    assert.equal(lf('alasan'), 'Demam, istirahat di rumah');
    assert.equal(lf('tanggal_mulai'), '2026-11-25');
    assert.equal(lf('tanggal_selesai'), '2026-11-26');
    assert.equal(lf('challenge'), 'tok-123');
    assert.ok(lp.filter((p) => p.name === 'frame').length >= 8);
    assert.deepEqual(app.consoleErrors.filter((e) => !/Failed to load resource/.test(e)), []);
  } finally {
    await app.close();
  }
});
