// Fake camera clips for Chromium (--use-file-for-fake-video-capture): a .y4m made with ffmpeg from still
// photos, written to a temp dir (never into the repository). Chromium loops the file and does not mirror it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './browser.js';

/** The shared face photos (outside the repo); null when this machine does not have them. */
export function facesDir() {
  const candidates = [
    process.env.FACES_DIR,
    path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../../shared/data/faces'),
    '/work/shared/data/faces',
  ].filter(Boolean);
  return candidates.find((d) => fs.existsSync(path.join(d, 'dev', 'identities.csv'))) || null;
}

/** Reads a CSV with a header row into objects (no quoted commas in the shared CSVs). */
export function readCsv(file) {
  const [head, ...lines] = fs.readFileSync(file, 'utf8').trim().split(/\r?\n/);
  const cols = head.split(',');
  return lines.map((l) => {
    const v = l.split(',');
    return Object.fromEntries(cols.map((c, i) => [c, v[i]]));
  });
}

/**
 * Makes a y4m clip from a sequence of stills.
 * @param {Array<{image: string, seconds: number}>} segments  shown one after the other
 * @param {{width?: number, height?: number, fps?: number, dir?: string, name?: string}} [opts]
 * @returns {string} path of the .y4m file
 */
export function makeY4m(segments, { width = 640, height = 480, fps = 15, dir, name = 'camera' } = {}) {
  const out = path.join(dir || tempDir('camera'), `${name}.y4m`);
  const args = ['-hide_banner', '-loglevel', 'error', '-y'];
  for (const s of segments) args.push('-loop', '1', '-t', String(s.seconds), '-i', s.image);
  const scale = `scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=${fps},format=yuv420p`;
  const parts = segments.map((_, i) => `[${i}:v]${scale}[v${i}]`).join(';');
  const concat = segments.map((_, i) => `[v${i}]`).join('') + `concat=n=${segments.length}:v=1:a=0[out]`;
  args.push('-filter_complex', `${parts};${concat}`, '-map', '[out]', '-f', 'yuv4mpegpipe', out);
  execFileSync('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return out;
}

/** A still clip of one photo (e.g. for face registration). */
export function stillY4m(image, seconds = 2, opts = {}) {
  return makeY4m([{ image, seconds }], opts);
}

/**
 * A person from the liveness set with a frontal eyes-open photo and an eyes-closed photo (Yale subjects first:
 * both come from one session and pose, a clean blink). Null when the shared photos are not on this machine.
 * @returns {{identity: string, open: string, closed: string} | null}
 */
export function livenessSubject() {
  const root = facesDir();
  if (!root) return null;
  const rows = readCsv(path.join(root, 'liveness', 'liveness.csv'));
  const byId = new Map();
  for (const r of rows) {
    if (!byId.has(r.identity)) byId.set(r.identity, {});
    const e = byId.get(r.identity);
    const p = path.join(root, 'liveness', r.path);
    if (r.eyes === 'open' && r.yaw === 'frontal' && !e.open) e.open = p;
    if (r.eyes === 'closed' && r.yaw === 'frontal' && !e.closed) e.closed = p;
  }
  const ids = [...byId.keys()].sort((a, b) => (b.startsWith('yale_') ? 1 : 0) - (a.startsWith('yale_') ? 1 : 0));
  for (const identity of ids) {
    const e = byId.get(identity);
    if (e.open && e.closed) return { identity, ...e };
  }
  return null;
}

/**
 * A blink clip (eyes open, closed, open) of livenessSubject(), for /absen with a fixed BLINK challenge.
 * Chromium loops it (0.9 s: open 0.6, closed 0.3), so any 1.6 s burst (the page's lead-in plus dense blink
 * sampling) holds a whole closed-eyes moment with open eyes before and after it, wherever the loop stands.
 * @returns {{identity: string, open: string, file: string} | null}
 */
export function blinkY4m(opts = {}) {
  const s = livenessSubject();
  if (!s) return null;
  const file = makeY4m(
    [
      { image: s.open, seconds: 0.6 },
      { image: s.closed, seconds: 0.3 },
    ],
    { name: 'blink', ...opts },
  );
  return { identity: s.identity, open: s.open, file };
}

/**
 * A synthetic clip whose left half is black and right half white: shows whether captured frames are mirrored.
 */
export function splitY4m({ width = 640, height = 480, seconds = 1, dir } = {}) {
  const out = path.join(dir || tempDir('camera'), 'split.y4m');
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `color=c=black:s=${width}x${height}:d=${seconds}:r=15`,
    '-vf', `drawbox=x=${width / 2}:y=0:w=${width / 2}:h=${height}:color=white:t=fill,format=yuv420p`,
    '-f', 'yuv4mpegpipe', out,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  return out;
}

export function removeClip(file) {
  if (file && fs.existsSync(file)) fs.rmSync(path.dirname(file), { recursive: true, force: true });
}
