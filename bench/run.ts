/**
 * `npm run bench`: measures the figures of the README's performance table against servers on 127.0.0.1
 * and prints one line per figure (`name value unit (target …) ok|MISS`), or with `--json` one JSON object
 * a line. Times are ratios against another program in the same run (wscat, WeeChat, a bare Ink program)
 * or the app's/OS's own counters (/proc CPU and RSS, frames as written to a pty), medians over runs.
 * Every loop is bounded; the whole run takes about ten minutes.
 *
 *   npm run bench [-- --json] [-- --only ingest_ratio,tail_vs_wscat] [-- --runs N]
 *
 * Exit code 0 when every target holds, 1 otherwise.
 *
 * For profiling: `BENCH_CLIENT_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/p"` adds node flags to the connector
 * side of `ingest_ratio`; `BENCH_CLI=/path/to/chat-tui.js` runs the TUI figures against another build.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startBenchServer, type BenchServer, type PreparedStream } from './lib/server.js';
import { median } from './lib/stats.js';
import { CLI, ROOT, addChatapiProfile, countingSink, tempDir } from './lib/proc.js';
import { jsonLine, passes, targetOf, textLine, type Figure } from './lib/report.js';
import { benchArchiveTui, benchSearchScale } from './archive.js';
import { benchRssKeypress } from './memory.js';
import { benchStartup } from './startup.js';
import { benchProtocols } from './protocols.js';
import { benchFlood, benchFlood10k, benchScrollback } from './tui.js';

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const onlyIndex = argv.indexOf('--only');
const only = onlyIndex >= 0 ? new Set((argv[onlyIndex + 1] ?? '').split(',')) : undefined;
const runsIndex = argv.indexOf('--runs');
const RUNS = runsIndex >= 0 ? Math.max(1, Number(argv[runsIndex + 1]) || 3) : 3;
const STREAM = 100_000;
const END_MARK = 'zz-end-of-stream';

const want = (name: string): boolean => !only || only.has(name);
const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);

/** A realistic chat line: ~60 characters, 20 authors; the last one carries the end marker. */
export function benchMessage(seq: number, count: number, prefix = 'm'): { id: string; content: string; senderId: string; senderName: string } {
  const u = seq % 20;
  const tail = seq === count - 1 ? ` ${END_MARK}` : '';
  return { id: `${prefix}${seq}`, content: `message ${seq} from the bench: the quick brown fox jumps${tail}`, senderId: `user_${u}`, senderName: `User ${u}` };
}

function emit(f: Figure): void {
  process.stdout.write(`${json ? jsonLine(f) : textLine(f)}\n`);
  results.push(f);
}
const results: Figure[] = [];

/** Runs `bench/ingest-client.ts` in its own process and streams the batch to it once it is connected. */
async function ingestOnce(server: BenchServer, batch: PreparedStream, mode: 'raw' | 'connector' | 'store', info?: (r: Record<string, number>) => void): Promise<number> {
  const flags = mode !== 'raw' ? (process.env.BENCH_CLIENT_FLAGS ?? '').split(' ').filter(Boolean) : [];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', join(ROOT, 'bench', 'ingest-client.ts'), mode, server.url, batch.room, server.apiKey, String(batch.frames.length)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  try {
    await Promise.race([server.waitForSockets(1, batch.room), exited.then(() => Promise.reject(new Error(`ingest ${mode} exited: ${err.trim()}`)))]);
    await new Promise((r) => setTimeout(r, 200)); // let the connector finish its connect (REST) first
    await server.stream(batch, { store: false });
    const code = await exited;
    if (code !== 0) throw new Error(`ingest ${mode} failed (${code}): ${err.trim().slice(0, 300)}`);
    const r = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { rate?: number };
    info?.(r as Record<string, number>);
    return r.rate ?? Number.NaN;
  } finally {
    child.kill('SIGKILL');
    server.drop(batch.room, 'terminate');
  }
}

async function benchIngest(): Promise<void> {
  const server = await startBenchServer();
  try {
    const room = server.rooms[0]!.id;
    const batch = server.prepare(room, STREAM, (i) => benchMessage(i, STREAM));
    const raw: number[] = [];
    const ours: number[] = [];
    const noArchive: number[] = [];
    const cpuOn: number[] = [];
    const cpuOff: number[] = [];
    const stored: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      raw.push(await ingestOnce(server, batch, 'raw'));
      ours.push(
        await ingestOnce(server, batch, 'connector', (r) => {
          cpuOn.push(r.cpuMs ?? Number.NaN);
          stored.push(((r.count ?? Number.NaN) / (r.storedMs ?? Number.NaN)) * 1000);
        }),
      );
      noArchive.push(await ingestOnce(server, batch, 'store', (r) => cpuOff.push(r.cpuMs ?? Number.NaN)));
      log(
        `ingest run ${i + 1}: raw ${Math.round(raw[i]!)} msg/s, connector+store+archive ${Math.round(ours[i]!)} msg/s (${(ours[i]! / raw[i]!).toFixed(2)}; in the store at ${Math.round(stored[i]!)} msg/s, main thread ${Math.round(cpuOn[i]!)} ms CPU); without the archive ${Math.round(noArchive[i]!)} msg/s (${(noArchive[i]! / raw[i]!).toFixed(2)}; ${Math.round(cpuOff[i]!)} ms CPU)`,
      );
    }
    const value = median(ours);
    const baseline = median(raw);
    const off = median(noArchive);
    const note = `median of ${RUNS}, ${STREAM} msgs`;
    if (want('ingest_ratio')) emit({ name: 'ingest_ratio', value, unit: 'msg/s', baseline, ratio: value / baseline, target: targetOf('ingest_ratio'), note: `${note}, connector + store + archive; without the archive ${(off / baseline).toFixed(2)}` });
    // The archive's own cost: ingest until the archive has committed the last message ÷ ingest without it.
    if (want('archive_ingest_ratio')) {
      const cpu = (median(cpuOn) / median(cpuOff)).toFixed(2);
      emit({ name: 'archive_ingest_ratio', value, unit: 'msg/s', baseline: off, ratio: value / off, target: targetOf('archive_ingest_ratio'), note: `${note}; clock stops when the archive has committed the last one (in the store at ${Math.round(median(stored))} msg/s); main-thread CPU on ÷ off ${cpu}` });
    }
  } finally {
    await server.close();
  }
}

/** One process printing the stream: time from the server's first frame to the end marker on its stdout. */
async function printOnce(server: BenchServer, batch: PreparedStream, cmd: string[], env: Record<string, string>): Promise<{ rate: number; lines: number }> {
  const [exe, ...args] = cmd;
  const child = spawn(exe as string, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d.slice(0, 2000)));
  const sink = countingSink(child, END_MARK);
  sink.done.catch(() => undefined);
  try {
    await Promise.race([server.waitForSockets(1, batch.room), sink.done.then(() => undefined, (e: unknown) => Promise.reject(new Error(`${String(e)}: ${err.trim().slice(0, 300)}`)))]);
    await new Promise((r) => setTimeout(r, 300));
    const sent = await server.stream(batch, { store: false });
    const doneAt = await Promise.race([sink.done, new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`timed out: ${err.trim().slice(0, 300)}`)), 120_000))]);
    return { rate: (batch.frames.length / (doneAt - sent.firstSentAt)) * 1000, lines: sink.lines() };
  } finally {
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    server.drop(batch.room, 'terminate');
  }
}

async function benchTail(): Promise<void> {
  const server = await startBenchServer();
  const configDir = tempDir();
  try {
    const room = server.rooms[0]!.id;
    await addChatapiProfile(configDir, 'bench', { url: server.url, token: server.apiKey, rooms: [room] });
    const batch = server.prepare(room, STREAM, (i) => benchMessage(i, STREAM));
    const wscat = [process.execPath, join(ROOT, 'node_modules', 'wscat', 'bin', 'wscat'), '-c', `${server.wsUrl(room)}&user_id=wscat&user_name=wscat`];
    const tail = [...CLI, 'tail', '--profile', 'bench', '--json'];
    const base: number[] = [];
    const ours: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const w = await printOnce(server, batch, wscat, {});
      const t = await printOnce(server, batch, tail, { CHAT_TUI_CONFIG_DIR: configDir, NO_COLOR: '1' });
      base.push(w.rate);
      ours.push(t.rate);
      log(`tail run ${i + 1}: wscat ${Math.round(w.rate)} msg/s (${w.lines} lines), tail --json ${Math.round(t.rate)} msg/s (${t.lines} lines)`);
    }
    const value = median(ours);
    const baseline = median(base);
    emit({ name: 'tail_vs_wscat', value, unit: 'msg/s', baseline, ratio: value / baseline, target: targetOf('tail_vs_wscat'), note: `median of ${RUNS}, ${STREAM} msgs` });
  } finally {
    await server.close();
  }
}

/** Runs one figure group; a failure becomes NaN figures (MISS) with the reason on stderr, never a crash. */
async function guarded(names: string[], fn: () => Promise<void>): Promise<void> {
  if (!names.some(want)) return;
  const t0 = performance.now();
  try {
    await fn();
  } catch (e) {
    log(`${names.join(', ')} failed: ${e instanceof Error ? e.message : String(e)}`);
    for (const name of names.filter(want)) {
      if (!results.some((r) => r.name === name)) emit({ name, value: Number.NaN, unit: '', target: targetOf(name), note: 'failed' });
    }
  }
  log(`${names.join(', ')}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

async function main(): Promise<void> {
  const t0 = performance.now();
  await guarded(['ingest_ratio', 'archive_ingest_ratio'], benchIngest);
  await guarded(['tail_vs_wscat'], benchTail);
  await guarded(['ingest_ratio_v2', 'tail_vs_wscat_v2', 'ingest_ratio_socketio', 'tail_vs_wscat_socketio'], () => benchProtocols({ runs: RUNS, emit, want, log }));
  const c = { runs: RUNS, emit, want, log };
  await guarded(['flood_cpu', 'flood_fps', 'flood_lag_p99_ms', 'flood_cpu_vs_weechat'], () => benchFlood(c));
  await guarded(['flood10k_cpu', 'flood10k_lag_p99_ms'], () => benchFlood10k(c));
  await guarded(['scrollback_frame_ratio'], () => benchScrollback(c));
  await guarded(['rss_100k_mb', 'keypress_ms', 'rss_per_100k_vs_weechat', 'keypress_vs_weechat'], () => benchRssKeypress(c));
  await guarded(['startup_ms', 'startup_vs_ink_floor'], () => benchStartup(c));
  await guarded(['search_scale_ratio'], () => benchSearchScale(c));
  await guarded(['rss_1m_mb', 'warm_start_vs_ink_floor'], () => benchArchiveTui(c));
  log(`total ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  process.exitCode = results.every(passes) ? 0 : 1;
}

await main();
