/**
 * The TUI figures of `npm run bench` under a flood: the real `chat-tui` TUI in a pseudo-terminal of
 * 120×40 (util-linux `script`), fed by the bench's chatapi server on 127.0.0.1, and WeeChat beside it
 * (bench/weechat.ts) under the same flood. Frames are counted as the terminal receives them (see
 * lib/frames.ts), CPU comes from /proc, message lag is from the server handing a message to the socket
 * to the first frame that shows it (an upper bound of "arrival at the connector → frame"). CPU is counted
 * from the flood's first message until its last one is on screen, over the flood's wall time.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, addChatapiProfile, cpuSeconds, startPty, tempDir } from './lib/proc.js';
import { hostPty, type PtyHost } from './lib/host.js';
import { startBenchServer, type BenchRoom, type BenchServer } from './lib/server.js';
import { median, percentile } from './lib/stats.js';
import { targetOf, type Figure } from './lib/report.js';
import { findWeechat } from './lib/weechat.js';
import { floodText, weechatFloodRun } from './weechat.js';

/** What run.ts hands each figure group. */
export interface TuiBenchContext {
  runs: number;
  emit(f: Figure): void;
  want(name: string): boolean;
  log(line: string): void;
}

export const COLS = 120;
export const ROWS = 40;
/** Arguments that open the TUI on the configured profiles (the CLI's default command). */
export const TUI_ARGS: string[] = [];

/**
 * Starts the TUI against `server` on the rooms given (the first is the one shown), env for the app;
 * `ui` is written as the config's `ui` section (README "Configuration": e.g. `{ scrollback: 100000 }`),
 * `config` as other top-level keys (e.g. `{ archive: false }`).
 */
export async function startTui(server: BenchServer, rooms: BenchRoom[], env: Record<string, string> = {}, keepFrames = true, ui?: Record<string, unknown>, config?: Record<string, unknown>): Promise<PtyHost> {
  const configDir = tempDir();
  await addChatapiProfile(configDir, 'bench', { url: server.url, token: server.apiKey, rooms: rooms.map((r) => r.id) });
  if (ui || config) {
    const file = join(configDir, 'config.json');
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    mkdirSync(configDir, { recursive: true });
    writeFileSync(file, JSON.stringify({ ...stored, ...config, ...(ui ? { ui } : {}) }), { mode: 0o600 });
  }
  const childEnv: Record<string, string> = { CHAT_TUI_CONFIG_DIR: configDir, CI: '', ...env };
  const pty = await startPty(CLI, TUI_ARGS, { cols: COLS, rows: ROWS, env: childEnv, keepOutput: false });
  return hostPty(pty, keepFrames);
}

const TOKEN = /msg#(\d+):/g;

/** One flood of chat-tui's shown room: CPU s ÷ wall s, frames a second, lag of each message seen on screen. */
interface FloodRun {
  cpu: number;
  fps: number;
  lagP50: number;
  lagP99: number;
  seen: number;
  count: number;
  /** Wall seconds of the flood (first send → last send). */
  wall: number;
  /** Whether the first message was on screen after Home (the top of the room): every message is in the store. */
  topShown?: boolean;
  /** ms from the end of the flood until its last message was on screen (or its last frame, when the message's token was not drawn whole). */
  catchUpMs: number;
}

async function floodOnce(rate: number, seconds: number, ui?: Record<string, unknown>, config?: Record<string, unknown>): Promise<FloodRun> {
  const server = await startBenchServer();
  const room = server.rooms[0]!;
  const tui = await startTui(server, [room], {}, false, ui, config);
  try {
    await server.waitForSockets(1, room.id);
    await tui.settle(700, 8000);
    const count = rate * seconds;
    const batch = server.prepare(room.id, count, (i) => ({ id: `f${i}`, content: floodText(i), senderId: `user_${i % 20}`, senderName: `User ${i % 20}` }));
    const shownAt = new Float64Array(count).fill(Number.NaN);
    let frameCount = 0;
    let windowStart = 0;
    let windowEnd = Number.POSITIVE_INFINITY;
    let lastFrameAt = 0;
    const off = tui.onFrame((f) => {
      lastFrameAt = f.at;
      if (f.at >= windowStart && f.at <= windowEnd) frameCount++;
      for (const m of f.plain().matchAll(TOKEN)) {
        const i = Number(m[1]);
        if (i < count && Number.isNaN(shownAt[i]!)) shownAt[i] = f.at;
      }
    });
    const cpu0 = cpuSeconds(tui.pty.pid);
    windowStart = performance.now();
    const result = await server.stream(batch, { rate, store: false });
    windowEnd = performance.now();
    // Until the last message is on screen, or the screen has been still for 500 ms (Ink's incremental
    // rendering may rewrite only the changed end of a row, so a message's token is not always drawn
    // whole): a TUI that fell behind catches up first, and the CPU counts the whole flood's work.
    const caughtUpBy = performance.now() + 30_000;
    while (Number.isNaN(shownAt[count - 1]!) && performance.now() < caughtUpBy && performance.now() - Math.max(lastFrameAt, windowEnd) < 500) await new Promise((r) => setTimeout(r, 20));
    const cpu1 = cpuSeconds(tui.pty.pid);
    await tui.settle(300, 5000);
    off();
    const wall = (windowEnd - windowStart) / 1000;
    const lags: number[] = [];
    for (let i = 0; i < count; i++) if (!Number.isNaN(shownAt[i]!)) lags.push(shownAt[i]! - result.sentAt[i]!);
    const run: FloodRun = { cpu: (cpu1 - cpu0) / wall, fps: frameCount / wall, lagP50: percentile(lags, 50), lagP99: percentile(lags, 99), seen: lags.length, count, wall, catchUpMs: Math.max(0, (Number.isNaN(shownAt[count - 1]!) ? lastFrameAt : shownAt[count - 1]!) - windowEnd) };
    if (ui) {
      // Home on an empty composer goes to the top of the room (src/ui/keymap.ts roomTop): the oldest
      // message held must be the flood's first one.
      let top = false;
      const offTop = tui.onFrame((f) => {
        if (/msg#0:/.test(f.plain())) top = true;
      });
      tui.write('\u001b[H');
      const by = performance.now() + 10_000;
      while (!top && performance.now() < by) await new Promise((r) => setTimeout(r, 50));
      offTop();
      run.topShown = top;
    }
    return run;
  } finally {
    await tui.stop();
    await server.close();
  }
}

const describe = (r: FloodRun): string =>
  `cpu ${(r.cpu * r.wall).toFixed(2)} s / ${r.wall.toFixed(2)} s, ${Math.round(r.fps * r.wall)} frames, ${r.seen}/${r.count} messages seen on screen, lag p50 ${r.lagP50.toFixed(1)} ms p99 ${r.lagP99.toFixed(1)} ms, last message on screen ${r.catchUpMs.toFixed(0)} ms after the flood`;

/**
 * flood_cpu, flood_fps, flood_lag_p99_ms and flood_cpu_vs_weechat: 1,000 msg/s for 10 s into the shown
 * room; each run floods chat-tui, then WeeChat (when it is there) with the same messages.
 */
export async function benchFlood(c: TuiBenchContext): Promise<void> {
  const RATE = 1000;
  const SECONDS = 10;
  const runs: FloodRun[] = [];
  const theirs: number[] = [];
  const weechat = c.want('flood_cpu_vs_weechat') ? findWeechat(c.log) : undefined;
  for (let run = 0; run < c.runs; run++) {
    const r = await floodOnce(RATE, SECONDS);
    runs.push(r);
    c.log(`flood run ${run + 1}: ${describe(r)}`);
    if (weechat && 'path' in weechat) {
      const w = await weechatFloodRun(weechat.path, RATE, SECONDS);
      theirs.push(w.cpu);
      c.log(`flood run ${run + 1}: weechat cpu ${(w.cpu * SECONDS).toFixed(2)} s / ${SECONDS} s${w.synced ? '' : ' (it did not answer a PING after the flood)'}; ratio ${(r.cpu / w.cpu).toFixed(2)}`);
    }
  }
  const note = `median of ${c.runs} runs, ${RATE} msg/s for ${SECONDS} s, ${COLS}x${ROWS} pty`;
  const cpu = median(runs.map((r) => r.cpu));
  if (c.want('flood_cpu')) c.emit({ name: 'flood_cpu', value: cpu, unit: 'cpu-s/s', target: targetOf('flood_cpu'), note });
  if (c.want('flood_fps')) c.emit({ name: 'flood_fps', value: median(runs.map((r) => r.fps)), unit: 'fps', target: targetOf('flood_fps'), note });
  if (c.want('flood_lag_p99_ms')) c.emit({ name: 'flood_lag_p99_ms', value: median(runs.map((r) => r.lagP99)), unit: 'ms', target: targetOf('flood_lag_p99_ms'), note: `${note}; server send → first frame showing it` });
  if (weechat) {
    if ('missing' in weechat) c.log(`flood_cpu_vs_weechat: ${weechat.missing}`);
    const base = median(theirs);
    c.emit({ name: 'flood_cpu_vs_weechat', value: cpu, unit: 'cpu-s/s', baseline: base, ratio: cpu / base, target: targetOf('flood_cpu_vs_weechat'), note: 'missing' in weechat ? `weechat: ${weechat.missing}` : `${note}; WeeChat ${weechat.version} on the bench IRC server` });
  }
}

/**
 * flood10k_cpu and flood10k_lag_p99_ms: 10,000 msg/s for 10 s into the shown room, with `ui.scrollback`
 * raised to 100,000 so that every message of the flood stays in the store (checked after the flood: Home
 * shows the first one), the rest of the configuration the default (the local archive on). One more run
 * with the archive off is logged, to tell its share apart.
 */
export async function benchFlood10k(c: TuiBenchContext): Promise<void> {
  const RATE = 10_000;
  const SECONDS = 10;
  const runs: FloodRun[] = [];
  for (let run = 0; run < c.runs; run++) {
    const r = await floodOnce(RATE, SECONDS, { scrollback: RATE * SECONDS });
    runs.push(r);
    c.log(`flood10k run ${run + 1}: ${describe(r)}; first message at the top of the room: ${r.topShown ? 'yes' : 'NO'}`);
  }
  // For the reading of a miss, not a figure: one more run with the local archive off (config `archive: false`).
  const bare = await floodOnce(RATE, SECONDS, { scrollback: RATE * SECONDS }, { archive: false });
  c.log(`flood10k with the archive off (diagnosis only): ${describe(bare)}`);
  const allKept = runs.every((r) => r.topShown);
  const note = `median of ${c.runs} runs, ${RATE} msg/s for ${SECONDS} s, ${COLS}x${ROWS} pty, ui.scrollback ${RATE * SECONDS}${allKept ? '' : '; the first message was NOT at the top of the room in every run'}`;
  const fail = (x: number): number => (allKept ? x : Number.NaN);
  if (c.want('flood10k_cpu')) c.emit({ name: 'flood10k_cpu', value: fail(median(runs.map((r) => r.cpu))), unit: 'cpu-s/s', target: targetOf('flood10k_cpu'), note });
  if (c.want('flood10k_lag_p99_ms')) c.emit({ name: 'flood10k_lag_p99_ms', value: fail(median(runs.map((r) => r.lagP99))), unit: 'ms', target: targetOf('flood10k_lag_p99_ms'), note: `${note}; server send → first frame showing it` });
}

/** scrollback_frame_ratio: in-process render timing with the real store (bench/scrollback.ts). */
export async function benchScrollback(c: TuiBenchContext): Promise<void> {
  // Loaded only here: it pulls in the app's store and Ink.
  const { benchScrollbackInProcess } = await import('./scrollback.js');
  await benchScrollbackInProcess(c);
}
