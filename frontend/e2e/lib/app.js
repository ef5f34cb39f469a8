// Helpers that speak the app's language: log in through the UI, call the API with the page's cookie, and set
// the GPS fix. The journey tests (owner creates shift/employee, registers a face, /absen, leave, reports) build
// on these.
import { OWNER } from './server.js';

/** Logs the owner in through the /login form and waits for the dashboard. */
export async function login(page, { email = OWNER.email, password = OWNER.password } = {}) {
  await page.goto('/login');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Kata sandi', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Masuk' }).click();
  await page.waitForURL('**/dashboard');
}

/**
 * Calls the API with the browser context's cookies (after login()).
 * @returns {Promise<{status: number, body: any}>}
 */
export async function api(page, method, url, { json, multipart } = {}) {
  const r = await page.request.fetch(url, { method, data: json, multipart });
  const text = await r.text();
  let body = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: r.status(), body };
}

/** Moves the fake GPS (the context must have been opened with a geolocation). */
export async function setGps(context, { latitude, longitude, accuracy = 10 }) {
  await context.setGeolocation({ latitude, longitude, accuracy });
}

/** Formats a Date as YYYY-MM-DD in local time. */
export function isoDate(d = new Date()) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/**
 * Waits until /absen is ready to scan: the camera plays and the GPS fix is in, so "Absen Sekarang" is
 * enabled. Until then the page shows what it is waiting for above the buttons, and a click on a button that
 * this note is still pushing around can miss.
 */
export async function kioskReady(page, { timeout = 20000 } = {}) {
  await page.waitForFunction(() => {
    const b = [...document.querySelectorAll('button')].find((x) => x.textContent.trim() === 'Absen Sekarang');
    const v = document.querySelector('video');
    return b && !b.disabled && v && v.videoWidth > 0;
  }, null, { timeout });
}
