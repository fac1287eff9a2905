/**
 * The archive's figures of `npm run bench`:
 * - `search_scale_ratio`: p99 of a `/search` (FTS5, newest 50 hits, all rooms) over 1,000,000 archived
 *   messages ÷ the same over 10,000 — the index, not a scan, keeps it ≤ 3;
 * - `rss_1m_mb`: the TUI started on an archive of 1,000,000 messages over 100 rooms (one shown) — memory
 *   must not grow with the archive (the TUI holds each room's last page, not the archive);
 * - `warm_start_vs_ink_floor`: spawn → the first frame showing archived message rows (the profile's
 *   server is not there: everything on screen comes from the archive) ÷ the bare Ink program drawing
 *   the same rows (bench/ink-floor.mjs), started alternately.
 * The archives are written directly (the archive's own batch writer, then the search index), once per run.
 */
import { copyFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Archive } from '../src/core/archive/index.js';
import type { MessageEvent } from '../src/core/events.js';
import { FrameSplitter } from './lib/frames.js';
import { CLI, ROOT, addChatapiProfile, rssMb, startPty, tempDir } from './lib/proc.js';
import { mulberry32 } from './lib/random.js';
import { median, percentile } from './lib/stats.js';
import { targetOf } from './lib/report.js';
import { showsDemoMessage } from './startup.js';
import { COLS, ROWS, type TuiBenchContext } from './tui.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const ROOMS = 100;

/** A word list with a Zipf-like use: word k is used about 1/(k+1) as often as word 0. */
const WORDS = Array.from({ length: 4000 }, (_, k) => `w${k.toString(36)}x`);
// mulberry32, reseeded for the archive's text and for the queries. (The LCG here before, `seed * 1103515245`
// in doubles, lost its low bits and cycled after ~16k draws: the "1M" archive was ~1,600 texts repeated,
// so a rare word never met the commonest one and those ANDs had 0 hits.)
let rnd = mulberry32(12345);
function zipfWord(): string {
  // inverse of the harmonic CDF, roughly: k = n^u - 1
  return WORDS[Math.min(WORDS.length - 1, Math.floor(Math.pow(WORDS.length, rnd())) - 1)]!;
}
function sentence(): string {
  const n = 6 + Math.floor(rnd() * 8);
  return Array.from({ length: n }, zipfWord).join(' ');
}

/** Room ids of the bench (UUID-shaped, as chatapi's). */
const roomId = (r: number): string => `6f1c2a10-0000-4000-8000-${String(r).padStart(12, '0')}`;

/** Writes an archive of `count` messages over ROOMS rooms of profile `bench` to `file`; returns its size in bytes. */
export function buildArchive(file: string, count: number, log: (l: string) => void): number {
  const t0 = performance.now();
  rnd = mulberry32(12345);
  const a = Archive.open(file, { maxBatch: 20_000 });
  const t = Date.parse('2026-01-01T00:00:00.000Z');
  for (let i = 0; i < count; i++) {
    const ev: MessageEvent = { type: 'message', profile: 'bench', room: roomId(i % ROOMS), id: `a${i}`, author: { id: `user_${i % 50}`, name: `User ${i % 50}` }, text: sentence(), time: new Date(t + i * 1000).toISOString() };
    a.record(ev);
    if (i % 20_000 === 19_999) a.flush();
  }
  a.flush();
  a.search({ text: 'index-everything-now' }); // builds the search index for all rows
  a.close();
  const bytes = statSync(file).size + (statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0);
  log(`archive: ${count} messages written and indexed in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${(bytes / 1048576).toFixed(0)} MiB (${Math.round(bytes / count)} B a message)`);
  return bytes;
}

/** p99 (ms) of `queries` searches on `file` (words of the same use distribution as the messages). */
function searchP99(file: string, queries: number): { p50: number; p99: number } {
  const a = Archive.open(file);
  rnd = mulberry32(777);
  const times: number[] = [];
  for (let i = 0; i < queries; i++) {
    const text = rnd() < 0.5 ? zipfWord() : `${zipfWord()} ${zipfWord().slice(0, 3)}`;
    const t0 = performance.now();
    a.search({ text, limit: 50 });
    times.push(performance.now() - t0);
  }
  a.close();
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

/** A TCP port with nothing listening on it (the profile's server that is not there). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Spawn → first frame with a message row (ms), and the RSS (MiB) once it has settled; NaN when not seen in 10 s. */
async function warmRun(cmd: string[], args: string[], env: Record<string, string>, rss: boolean): Promise<{ ms: number; rss: number }> {
  let spawnedAt = 0;
  let firstAt = Number.NaN;
  let resolveSeen!: () => void;
  const seen = new Promise<void>((r) => (resolveSeen = r));
  const splitter = new FrameSplitter((f) => {
    if (Number.isNaN(firstAt) && showsDemoMessage(f.plain())) {
      firstAt = f.at;
      resolveSeen();
    }
  });
  const pty = await startPty(cmd, args, { cols: COLS, rows: ROWS, env: { CI: '', ...env }, keepOutput: false, spawnedAt: (t) => (spawnedAt = t) });
  pty.onData((ch) => splitter.push(ch));
  await Promise.race([seen, sleep(10_000)]);
  let mb = Number.NaN;
  if (rss) {
    await sleep(3000);
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      samples.push(rssMb(pty.pid));
      await sleep(250);
    }
    mb = median(samples);
  }
  await pty.stop();
  return { ms: firstAt - spawnedAt, rss: mb };
}

/** `search_scale_ratio`. */
export async function benchSearchScale(c: TuiBenchContext): Promise<void> {
  const dir = tempDir();
  const small = join(dir, 'small.db');
  const big = join(dir, 'big.db');
  buildArchive(small, 10_000, c.log);
  buildArchive(big, 1_000_000, c.log);
  const p99s: { small: number; big: number }[] = [];
  for (let run = 0; run < Math.max(1, c.runs); run++) {
    const s = searchP99(small, 300);
    const b = searchP99(big, 300);
    p99s.push({ small: s.p99, big: b.p99 });
    c.log(`search run ${run + 1}: 10k p50 ${s.p50.toFixed(2)} p99 ${s.p99.toFixed(2)} ms; 1M p50 ${b.p50.toFixed(2)} p99 ${b.p99.toFixed(2)} ms`);
  }
  const v = median(p99s.map((p) => p.big));
  const base = median(p99s.map((p) => p.small));
  c.emit({ name: 'search_scale_ratio', value: v, unit: 'ms', baseline: base, ratio: v / base, target: targetOf('search_scale_ratio'), note: `median of ${p99s.length} runs of the p99 of 300 searches (newest 50, all rooms), 1M ÷ 10k messages over ${ROOMS} rooms` });
}

/** `rss_1m_mb` and `warm_start_vs_ink_floor`. */
export async function benchArchiveTui(c: TuiBenchContext): Promise<void> {
  const dir = tempDir();
  const template = join(dir, 'archive.db');
  buildArchive(template, 1_000_000, c.log);
  const port = await deadPort();
  const floorCmd = [process.execPath, join(ROOT, 'bench', 'ink-floor.mjs')];
  const ours: number[] = [];
  const floor: number[] = [];
  const rss: number[] = [];
  for (let run = 0; run < Math.max(3, c.runs); run++) {
    const configDir = tempDir();
    await addChatapiProfile(configDir, 'bench', { url: `http://127.0.0.1:${port}`, token: 'k', rooms: Array.from({ length: ROOMS }, (_, r) => roomId(r)) });
    copyFileSync(template, join(configDir, 'archive.db'));
    const o = await warmRun(CLI, [], { CHAT_TUI_CONFIG_DIR: configDir }, true);
    const f = await warmRun(floorCmd, [], {}, false);
    ours.push(o.ms);
    floor.push(f.ms);
    rss.push(o.rss);
    c.log(`warm start run ${run + 1}: chat-tui ${o.ms.toFixed(1)} ms to archived rows (RSS ${o.rss.toFixed(1)} MiB), bare Ink ${f.ms.toFixed(1)} ms; ratio ${(o.ms / f.ms).toFixed(2)}`);
  }
  const note = `median of ${ours.length}; 1M archived messages over ${ROOMS} rooms, server not there`;
  if (c.want('rss_1m_mb')) c.emit({ name: 'rss_1m_mb', value: median(rss), unit: 'MiB', target: targetOf('rss_1m_mb'), note: `${note}; /proc VmRSS 3 s after the first frame` });
  if (c.want('warm_start_vs_ink_floor')) {
    const v = median(ours);
    const b = median(floor);
    c.emit({ name: 'warm_start_vs_ink_floor', value: v, unit: 'ms', baseline: b, ratio: v / b, target: targetOf('warm_start_vs_ink_floor'), note: `${note}; spawn → first frame with archived rows ÷ bench/ink-floor.mjs` });
  }
}
