// Canned API answers (shapes from the team's API contract) for the layout test of the owner pages, which runs
// without a backend: page.route() answers /api/* from here. It checks rendering only; the journey tests run
// against the real backend.
import { isoDate } from './app.js';

const NAMES = [
  ['K001', 'Budi Santoso'], ['K002', 'Siti Rahmawati'], ['K003', 'Andi Pratama'], ['K004', 'Dewi Lestari'],
  ['K005', 'Agus Setiawan'], ['K006', 'Rina Wulandari'], ['K007', 'Joko Susilo'], ['K008', 'Maya Sari'],
  ['K009', 'Hendra Gunawan'], ['K010', 'Putri Anggraini'], ['K011', 'Rudi Hartono'], ['K012', 'Fitri Handayani'],
];

const day = (offset) => {
  const d = new Date();
  d.setDate(d.getDate() + offset);
  return isoDate(d);
};

export const shifts = [
  { id: 1, nama: 'Reguler', jam_masuk: '08:00', jam_pulang: '17:00', toleransi_menit: 5, aktif: true, employee_count: 9, dibuat: '2026-01-02T01:00:00Z' },
  { id: 2, nama: 'Malam', jam_masuk: '22:00', jam_pulang: '06:00', toleransi_menit: 10, aktif: true, employee_count: 3, dibuat: '2026-01-02T01:00:00Z' },
  { id: 3, nama: 'Sabtu setengah hari', jam_masuk: '08:00', jam_pulang: '12:00', toleransi_menit: 5, aktif: false, employee_count: 0, dibuat: '2026-01-02T01:00:00Z' },
];

export const employees = NAMES.map(([kode, nama], i) => ({
  id: i + 1,
  kode,
  nama,
  email: `${nama.split(' ')[0].toLowerCase()}@contoh.id`,
  shift_id: i % 4 === 3 ? 2 : 1,
  shift_nama: i % 4 === 3 ? 'Malam' : 'Reguler',
  aktif: i !== 10,
  foto_url: null,
  face_registered: i % 3 !== 2,
  dibuat: '2026-01-05T02:00:00Z',
}));

const statuses = ['HADIR', 'HADIR', 'TERLAMBAT', 'HADIR', 'IZIN', 'HADIR', 'ALPA', 'HADIR', 'DITOLAK', 'HADIR', 'TERLAMBAT', 'HADIR'];

export const rows = [];
for (let d = 0; d < 10; d++) {
  employees.forEach((e, i) => {
    const status = statuses[(i + d) % statuses.length];
    const late = status === 'TERLAMBAT';
    rows.push({
      id: rows.length + 1,
      employee_id: e.id,
      kode: e.kode,
      nama: e.nama,
      tanggal: day(-d),
      check_in: ['HADIR', 'TERLAMBAT', 'DITOLAK'].includes(status) ? (late ? '08:17' : '07:5' + (i % 10)) : null,
      check_out: status === 'HADIR' && d > 0 ? '17:0' + (i % 10) : null,
      status,
      latitude: -6.1754,
      longitude: 106.8272,
      liveness_ok: status !== 'DITOLAK',
      similarity: status === 'DITOLAK' ? 0.41 : 0.82 + (i % 5) / 100,
      dibuat: new Date(Date.now() - d * 86400000).toISOString(),
    });
  });
}

export const leaves = [
  { id: 1, employee_id: 2, kode: 'K002', nama: 'Siti Rahmawati', jenis: 'Sakit', alasan: 'Sakit: demam tinggi, surat dokter terlampir', keterangan: 'demam tinggi, surat dokter terlampir', tanggal_mulai: day(1), tanggal_selesai: day(2), hari: 2, bukti_url: '/api/leaves/1/bukti', status: 'PENDING', dibuat: new Date().toISOString() },
  { id: 2, employee_id: 5, kode: 'K005', nama: 'Agus Setiawan', jenis: 'Cuti', alasan: 'Cuti: pernikahan saudara di Surabaya', keterangan: 'pernikahan saudara di Surabaya', tanggal_mulai: day(7), tanggal_selesai: day(11), hari: 3, bukti_url: null, status: 'PENDING', dibuat: new Date().toISOString() },
  { id: 3, employee_id: 8, kode: 'K008', nama: 'Maya Sari', jenis: 'Izin', alasan: 'Izin: mengurus dokumen', keterangan: 'mengurus dokumen', tanggal_mulai: day(-3), tanggal_selesai: day(-3), hari: 1, bukti_url: null, status: 'DISETUJUI', dibuat: new Date().toISOString() },
];

const counts = (list) => {
  const c = { HADIR: 0, TERLAMBAT: 0, IZIN: 0, ALPA: 0, DITOLAK: 0 };
  for (const r of list) c[r.status]++;
  return c;
};

export function trend() {
  const days = [];
  for (let d = 29; d >= 0; d--) {
    const date = day(-d);
    const wd = new Date(date).getDay();
    if (wd === 0 || wd === 6) {
      days.push({ date, HADIR: 0, TERLAMBAT: 0, IZIN: 0, ALPA: 0, DITOLAK: 0 });
      continue;
    }
    days.push({ date, HADIR: 7 + (d % 3), TERLAMBAT: 1 + (d % 4 === 0 ? 2 : 0), IZIN: d % 5 === 0 ? 1 : 0, ALPA: d % 7 === 0 ? 1 : 0, DITOLAK: d % 9 === 0 ? 1 : 0 });
  }
  return { days };
}

function page(items, url) {
  const p = Number(url.searchParams.get('page') || 1);
  const per = Number(url.searchParams.get('per_page') || 20);
  return { items: items.slice((p - 1) * per, p * per), total: items.length, page: p, per_page: per };
}

/** Answers one API request, or null for "not handled" (the route then gets a 404 JSON error). */
export function answer(method, url) {
  const p = url.pathname;
  const today = rows.filter((r) => r.tanggal === day(0));
  if (p === '/api/auth/me') return { id: 1, email: 'pemilik@contoh.id', role: 'OWNER', created_at: '2026-01-01T00:00:00Z' };
  if (p === '/api/kiosk/config') return { company_name: 'PT Contoh Sejahtera', geofence_enabled: true, gps_max_accuracy_m: 50, sites: [{ name: 'Kantor Pusat', latitude: -6.1754, longitude: 106.8272, radius_m: 50 }], timezone: 'Asia/Jakarta' };
  if (p === '/api/dashboard/summary') return { date: day(0), work_day: true, active_employees: 11, registered_faces: 8, counts: counts(today), not_checked_in: 2, pending_leaves: 2 };
  if (p === '/api/dashboard/trend') return trend();
  if (p === '/api/dashboard/late-ranking') return { from: url.searchParams.get('from'), to: url.searchParams.get('to'), items: [
    { employee_id: 3, kode: 'K003', nama: 'Andi Pratama', late_days: 5, late_minutes: 87 },
    { employee_id: 11, kode: 'K011', nama: 'Rudi Hartono', late_days: 3, late_minutes: 41 },
    { employee_id: 7, kode: 'K007', nama: 'Joko Susilo', late_days: 1, late_minutes: 12 },
  ] };
  if (p === '/api/dashboard/recent') return { items: rows.slice(0, 8).map(({ id, employee_id, nama, tanggal, check_in, check_out, status, dibuat }) => ({ id, employee_id, nama, tanggal, check_in, check_out, status, dibuat })) };
  if (p === '/api/leaves') {
    const st = url.searchParams.get('status');
    return page(leaves.filter((l) => !st || l.status === st), url);
  }
  if (p === '/api/employees') {
    const q = (url.searchParams.get('q') || '').toLowerCase();
    const aktif = url.searchParams.get('aktif');
    return page(employees.filter((e) => (!q || `${e.kode} ${e.nama} ${e.email}`.toLowerCase().includes(q)) && (aktif === null || String(e.aktif) === aktif)), url);
  }
  const one = p.match(/^\/api\/employees\/(\d+)$/);
  if (one && method === 'GET') return employees.find((x) => x.id === Number(one[1])) || null;
  const face = p.match(/^\/api\/employees\/(\d+)\/face$/);
  if (face) {
    const e = employees.find((x) => x.id === Number(face[1]));
    return { registered: !!e?.face_registered, usable: true, model: 'dlib_resnet_v1_f32_flip', dibuat: e?.face_registered ? '2026-02-01T03:04:05Z' : null, consent_by: e?.face_registered ? 'pemilik@contoh.id' : null, consent_at: e?.face_registered ? '2026-02-01T03:04:05Z' : null };
  }
  if (p === '/api/shifts') return shifts;
  if (p === '/api/reports/attendance') {
    const summary = employees.map((e) => {
      const mine = rows.filter((r) => r.employee_id === e.id);
      const c = counts(mine);
      return { employee_id: e.id, kode: e.kode, nama: e.nama, hadir: c.HADIR, terlambat: c.TERLAMBAT, late_minutes: c.TERLAMBAT * 17, early_leave_minutes: 0, izin: c.IZIN, alpa: c.ALPA, ditolak: c.DITOLAK };
    });
    const pg = Number(url.searchParams.get('page') || 1);
    const per = Number(url.searchParams.get('per_page') || 1000);
    return { from: url.searchParams.get('from'), to: url.searchParams.get('to'), rows: rows.slice((pg - 1) * per, pg * per), summary, total_rows: rows.length, page: pg, per_page: per };
  }
  return null;
}

/** Installs the canned API on a page (everything under /api/). */
export async function routeFixtures(page) {
  await page.route('**/api/**', async (route) => {
    const req = route.request();
    const url = new URL(req.url());
    const body = answer(req.method(), url);
    if (body === null) {
      await route.fulfill({ status: 404, contentType: 'application/json', body: JSON.stringify({ error: { code: 'NOT_FOUND', message: 'Tidak ada di data contoh.' } }) });
    } else {
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
    }
  });
}
