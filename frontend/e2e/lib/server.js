// Starts what the browser talks to:
//  - E2E_BASE_URL set: an already running server (nothing started);
//  - the real backend (target/debug/backend serve, else `cargo run -p backend -- serve`) on a free port with a fresh SQLite database in a temp dir,
//    serving dist/ (STATIC_DIR), when its binary has been built (or E2E_SERVER=backend);
//  - otherwise a tiny static server for dist/ with the same SPA fallback and a JSON 404 for /api/*
//    (E2E_SERVER=static forces it).
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { tempDir } from './browser.js';

export const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
export const DIST = path.join(REPO, 'dist');

/** The owner account the backend creates on first start (OWNER_EMAIL/OWNER_PASSWORD). */
export const OWNER = { email: 'pemilik@contoh.id', password: 'rahasia-e2e-123' };

/** The office used for geofencing in browser tests (Monas, Jakarta). */
export const OFFICE = { name: 'Kantor Pusat', latitude: -6.1754, longitude: 106.8272, radius: 50 };

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(url, { timeoutMs, proc }) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (proc && proc.exitCode !== null) throw new Error(`backend exited with code ${proc.exitCode}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${url}`);
}

function cargoTargetDir() {
  if (process.env.CARGO_TARGET_DIR) return process.env.CARGO_TARGET_DIR;
  try {
    const meta = JSON.parse(
      execFileSync('cargo', ['metadata', '--no-deps', '--format-version', '1', '--offline'], {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    );
    return meta.target_directory;
  } catch {
    return path.join(REPO, 'target');
  }
}

export function backendBuilt() {
  return fs.existsSync(path.join(cargoTargetDir(), 'debug', 'backend'));
}

function assertDist() {
  if (!fs.existsSync(path.join(DIST, 'index.html'))) {
    throw new Error(`no ${DIST}/index.html: build the SPA first (frontend/build.sh)`);
  }
}

/**
 * @param {{mode?: 'auto'|'backend'|'static', env?: Record<string,string>}} [opts]
 *   env: extra backend settings (e.g. LIVENESS_FIXED_CHALLENGE)
 * @returns {Promise<{baseURL: string, kind: 'external'|'backend'|'static', stop: () => Promise<void>, log: () => string}>}
 */
export async function startServer({ mode = process.env.E2E_SERVER || 'auto', env = {} } = {}) {
  if (process.env.E2E_BASE_URL) {
    return { baseURL: process.env.E2E_BASE_URL.replace(/\/$/, ''), kind: 'external', stop: async () => {}, log: () => '' };
  }
  assertDist();
  if (mode === 'backend' || (mode === 'auto' && backendBuilt())) {
    try {
      return await startBackend(env);
    } catch (e) {
      if (mode === 'backend') throw e;
      console.warn(`[e2e] backend did not start (${e.message}); serving dist/ statically instead`);
    }
  }
  return startStatic();
}

async function startBackend(extraEnv) {
  const port = await freePort();
  const dir = tempDir('backend');
  const env = {
    ...process.env,
    APP_ENV: 'test',
    BIND_ADDR: `127.0.0.1:${port}`,
    DATABASE_URL: `sqlite://${dir}/e2e.db?mode=rwc`,
    UPLOAD_DIR: path.join(dir, 'uploads'),
    STATIC_DIR: DIST,
    FACE_MODELS_DIR: path.join(REPO, 'face-models'),
    JWT_SECRET: 'e2e-secret-0123456789abcdef0123456789abcdef',
    OWNER_EMAIL: OWNER.email,
    OWNER_PASSWORD: OWNER.password,
    COMPANY_NAME: 'PT Contoh Sejahtera',
    OFFICE_SITES: `${OFFICE.name}:${OFFICE.latitude},${OFFICE.longitude},${OFFICE.radius}`,
    GEOFENCE_ENABLED: 'true',
    GPS_MAX_ACCURACY_M: '50',
    DAILY_CLOSE_ENABLED: 'false',
    RUST_LOG: process.env.RUST_LOG || 'warn',
    ...extraEnv,
  };
  let output = '';
  // The binary `make e2e` built (`cargo test --workspace --no-run`, the same build as the Rust tests: a
  // `cargo run -p backend` would resolve other dependency features and compile everything again).
  const bin = path.join(cargoTargetDir(), 'debug', 'backend');
  const manifest = path.join(REPO, 'Cargo.toml');
  const [cmd, args] = fs.existsSync(bin)
    ? [bin, ['serve']]
    : ['cargo', ['run', '-q', '--manifest-path', manifest, '-p', 'backend', '--', 'serve']];
  const proc = spawn(cmd, args, {
    cwd: dir, // no .env from the repository: the test decides every setting
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (d) => {
    output = (output + d.toString()).slice(-20000);
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  const baseURL = `http://127.0.0.1:${port}`;
  const timeoutMs = Number(process.env.E2E_BACKEND_TIMEOUT_MS || 15 * 60 * 1000);
  try {
    await waitFor(`${baseURL}/api/health`, { timeoutMs, proc });
  } catch (e) {
    proc.kill('SIGTERM');
    throw new Error(`${e.message}\n${output.slice(-3000)}`);
  }
  return {
    baseURL,
    kind: 'backend',
    log: () => output,
    stop: async () => {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await new Promise((r) => proc.once('exit', r));
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

async function startStatic() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname.startsWith('/api/')) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'API tidak tersedia (server statis uji).' } }));
      return;
    }
    let file = path.join(DIST, path.normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, ''));
    if (!file.startsWith(DIST) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      file = path.join(DIST, 'index.html'); // SPA fallback for client routes
    }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    baseURL: `http://127.0.0.1:${port}`,
    kind: 'static',
    log: () => '',
    stop: () => new Promise((r) => server.close(() => r())),
  };
}
