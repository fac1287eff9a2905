/**
 * The TUI figures of `npm run bench` (issue 8): the real `chat-tui` TUI in a pseudo-terminal of 120×40
 * (util-linux `script`), fed by the bench's chatapi server on 127.0.0.1. Frames are counted as the
 * terminal receives them (see lib/frames.ts), CPU and RSS come from /proc, message lag is from the
 * server handing a message to the socket to the first frame that shows it (an upper bound of
 * "arrival at the connector → frame"), keypress latency from writing a key to the pty to the next frame.
 */
import { CLI, addChatapiProfile, cpuSeconds, rssMb, startPty, tempDir, type PtyProcess } from './lib/proc.js';
import { FrameSplitter, type Frame } from './lib/frames.js';
import { startBenchServer, type BenchRoom, type BenchServer } from './lib/server.js';
import { median, percentile } from './lib/stats.js';
import { targetOf, type Figure } from './lib/report.js';

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

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The TUI of `chat-tui` on one chatapi profile with `rooms`, in a 120×40 pty, frames split. */
export interface TuiHost {
  pty: PtyProcess;
  frames: Frame[];
  onFrame(l: (f: Frame) => void): () => void;
  /** Resolves once no frame came for `quietMs` (bounded by `maxMs`). */
  settle(quietMs: number, maxMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the TUI against `server` on the rooms given (the first is the one shown), env for the app. */
export async function startTui(server: BenchServer, rooms: BenchRoom[], env: Record<string, string> = {}, keepFrames = true): Promise<TuiHost> {
  const configDir = tempDir();
  await addChatapiProfile(configDir, 'bench', { url: server.url, token: server.apiKey, rooms: rooms.map((r) => r.id) });
  const frames: Frame[] = [];
  const listeners = new Set<(f: Frame) => void>();
  let lastFrameAt = performance.now();
  const splitter = new FrameSplitter((f) => {
    lastFrameAt = f.at;
    if (keepFrames) frames.push(f);
    for (const l of listeners) l(f);
  });
  const childEnv: Record<string, string> = { CHAT_TUI_CONFIG_DIR: configDir, CI: '', ...env };
  const pty = await startPty(CLI, TUI_ARGS, { cols: COLS, rows: ROWS, env: childEnv, keepOutput: false });
  pty.onData((c) => splitter.push(c));
  return {
    pty,
    frames,
    onFrame(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    async settle(quietMs, maxMs) {
      const deadline = performance.now() + maxMs;
      while (performance.now() < deadline && performance.now() - lastFrameAt < quietMs) await sleep(20);
      while (performance.now() < deadline && performance.now() - lastFrameAt < quietMs) await sleep(20);
    },
    stop: () => pty.stop(),
  };
}

const TOKEN = /msg#(\d+):/g;

/** flood_cpu, flood_fps, flood_lag_p99_ms: 1,000 msg/s for 10 s into the shown room. */
export async function benchFlood(c: TuiBenchContext): Promise<void> {
  const RATE = 1000;
  const SECONDS = 10;
  const cpu: number[] = [];
  const fps: number[] = [];
  const lagP99: number[] = [];
  for (let run = 0; run < c.runs; run++) {
    const server = await startBenchServer();
    const room = server.rooms[0]!;
    const tui = await startTui(server, [room], {}, false);
    try {
      await server.waitForSockets(1, room.id);
      await tui.settle(700, 8000);
      const count = RATE * SECONDS;
      const batch = server.prepare(room.id, count, (i) => ({ id: `f${i}`, content: `msg#${i}: flood line from the bench`, senderId: `user_${i % 20}`, senderName: `User ${i % 20}` }));
      const shownAt = new Float64Array(count).fill(Number.NaN);
      let frameCount = 0;
      let windowStart = 0;
      let windowEnd = Number.POSITIVE_INFINITY;
      const off = tui.onFrame((f) => {
        if (f.at >= windowStart && f.at <= windowEnd) frameCount++;
        for (const m of f.plain().matchAll(TOKEN)) {
          const i = Number(m[1]);
          if (i < count && Number.isNaN(shownAt[i]!)) shownAt[i] = f.at;
        }
      });
      const cpu0 = cpuSeconds(tui.pty.pid);
      windowStart = performance.now();
      const result = await server.stream(batch, { rate: RATE, store: false });
      windowEnd = performance.now();
      const cpu1 = cpuSeconds(tui.pty.pid);
      await tui.settle(300, 3000);
      off();
      const wall = (windowEnd - windowStart) / 1000;
      const lags: number[] = [];
      for (let i = 0; i < count; i++) if (!Number.isNaN(shownAt[i]!)) lags.push(shownAt[i]! - result.sentAt[i]!);
      cpu.push((cpu1 - cpu0) / wall);
      fps.push(frameCount / wall);
      lagP99.push(percentile(lags, 99));
      c.log(`flood run ${run + 1}: cpu ${(cpu1 - cpu0).toFixed(2)} s / ${wall.toFixed(2)} s, ${frameCount} frames, ${lags.length}/${count} messages seen on screen, lag p50 ${percentile(lags, 50).toFixed(1)} ms p99 ${percentile(lags, 99).toFixed(1)} ms`);
    } finally {
      await tui.stop();
      await server.close();
    }
  }
  const note = `median of ${c.runs} runs, ${RATE} msg/s for ${SECONDS} s, ${COLS}x${ROWS} pty`;
  if (c.want('flood_cpu')) c.emit({ name: 'flood_cpu', value: median(cpu), unit: 'cpu-s/s', target: targetOf('flood_cpu'), note });
  if (c.want('flood_fps')) c.emit({ name: 'flood_fps', value: median(fps), unit: 'fps', target: targetOf('flood_fps'), note });
  if (c.want('flood_lag_p99_ms')) c.emit({ name: 'flood_lag_p99_ms', value: median(lagP99), unit: 'ms', target: targetOf('flood_lag_p99_ms'), note: `${note}; server send → first frame showing it` });
}

/** scrollback_frame_ratio: in-process render timing with the real store (bench/scrollback.ts). */
export async function benchScrollback(c: TuiBenchContext): Promise<void> {
  // Loaded only here: it pulls in the app's store and Ink.
  const { benchScrollbackInProcess } = await import('./scrollback.js');
  await benchScrollbackInProcess(c);
}

/** State shared by rss_100k_mb and keypress_ms: one TUI holding 100k messages over 10 rooms. */
let loaded: { server: BenchServer; tui: TuiHost } | undefined;

async function loadHundredK(c: TuiBenchContext): Promise<{ server: BenchServer; tui: TuiHost }> {
  if (loaded) return loaded;
  const rooms: BenchRoom[] = Array.from({ length: 10 }, (_, i) => ({ id: `6f1c2a10-0000-4000-8000-0000000000${String(i + 10)}`, name: `room-${i}` }));
  const server = await startBenchServer({ rooms });
  const tui = await startTui(server, rooms, {}, false);
  await server.waitForSockets(10);
  await tui.settle(700, 8000);
  c.log(`rss: ${rssMb(tui.pty.pid).toFixed(1)} MiB before the messages (TUI connected to 10 rooms)`);
  // 10 × 10,000: the store keeps at most 10,000 messages a room (its default scrollback limit).
  const PER_ROOM = 10_000;
  let lastShown = false;
  const lastToken = `msg#${PER_ROOM - 1}:`;
  const off = tui.onFrame((f) => {
    if (f.plain().includes(lastToken)) lastShown = true;
  });
  for (const r of rooms) {
    const batch = server.prepare(r.id, PER_ROOM, (i) => ({ id: `${r.name}-${i}`, content: `msg#${i}: in ${r.name} from the bench, the quick brown fox`, senderId: `user_${i % 20}`, senderName: `User ${i % 20}` }));
    await server.stream(batch, { store: false });
  }
  await tui.settle(1000, 20_000);
  off();
  if (!lastShown) c.log('rss: the last message of the shown room was not seen on screen');
  loaded = { server, tui };
  return loaded;
}

async function unload(): Promise<void> {
  if (!loaded) return;
  await loaded.tui.stop();
  await loaded.server.close();
  loaded = undefined;
}

/** rss_100k_mb of one loaded TUI: median of 5 samples of its RSS (MiB) over 2 s, 1 s after the load settled. */
async function measureRss(tui: TuiHost): Promise<number> {
  await sleep(1000);
  const samples = [rssMb(tui.pty.pid)];
  for (let i = 0; i < 4; i++) {
    await sleep(250);
    samples.push(rssMb(tui.pty.pid));
  }
  return median(samples);
}

/** keypress_ms of one loaded TUI: a letter (or backspace) typed into the composer → the next frame, p99 over 100 keys (ms; NaN when a key drew no frame). */
async function measureKeypress(c: TuiBenchContext, tui: TuiHost, run: number): Promise<number> {
  const lat: number[] = [];
  const KEYS = 100;
  for (let k = 0; k < KEYS; k++) {
    // 40 letters, then 40 backspaces, …: the composer stays on one line.
    const phase = Math.floor(k / 40) % 2;
    const key = phase === 0 ? String.fromCharCode(97 + (k % 26)) : '\u007f';
    let resolveFrame!: (at: number) => void;
    const next = new Promise<number>((r) => (resolveFrame = r));
    const off = tui.onFrame((f) => resolveFrame(f.at));
    const t0 = performance.now();
    tui.pty.write(key);
    const at = await Promise.race([next, sleep(2000).then(() => Number.NaN)]);
    off();
    lat.push(at - t0);
    await sleep(60);
  }
  const seen = lat.filter((x) => !Number.isNaN(x));
  const p99 = seen.length === KEYS ? percentile(seen, 99) : Number.NaN;
  c.log(`keypress run ${run + 1}: ${seen.length}/${KEYS} keys drew a frame, p50 ${percentile(seen, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...seen).toFixed(1)} ms; slowest: ${lat.map((x, i) => [x, i] as const).sort((a, b) => b[0] - a[0]).slice(0, 8).map(([x, i]) => `${x.toFixed(0)}@${i}`).join(' ')}`);
  return p99;
}

/**
 * rss_100k_mb and keypress_ms, medians over `c.runs` runs (issue 8: "report medians over several
 * runs"); each run starts a TUI, loads 100k messages over 10 rooms into it (one shown), measures its
 * RSS, then types 100 keys — so every run has its own first keys after a load, the slowest ones.
 */
export async function benchRssKeypress(c: TuiBenchContext): Promise<void> {
  const rss: number[] = [];
  const keys: number[] = [];
  for (let run = 0; run < Math.max(1, c.runs); run++) {
    try {
      const { tui } = await loadHundredK(c);
      if (c.want('rss_100k_mb')) {
        rss.push(await measureRss(tui));
        c.log(`rss run ${run + 1}: ${rss.at(-1)!.toFixed(1)} MiB`);
      }
      if (c.want('keypress_ms')) keys.push(await measureKeypress(c, tui, run));
    } finally {
      await unload();
    }
  }
  if (c.want('rss_100k_mb')) c.emit({ name: 'rss_100k_mb', value: median(rss), unit: 'MiB', target: targetOf('rss_100k_mb'), note: `median of ${rss.length} runs; 100k msgs over 10 rooms, 1 shown; /proc VmRSS` });
  if (c.want('keypress_ms')) c.emit({ name: 'keypress_ms', value: keys.some(Number.isNaN) ? Number.NaN : median(keys), unit: 'ms', target: targetOf('keypress_ms'), note: `median of ${keys.length} runs of the p99 of 100 keys, 100k msgs in the store (10 rooms)` });
}

/** startup_ms: `chat-tui demo` spawned → the first frame that shows a demo message (median of runs). */
export async function benchStartup(c: TuiBenchContext): Promise<void> {
  const times: number[] = [];
  for (let run = 0; run < Math.max(3, c.runs); run++) {
    let spawnedAt = 0;
    let firstAt = Number.NaN;
    let anyFrameAt = Number.NaN;
    const configDir = tempDir();
    let resolveSeen!: () => void;
    const seen = new Promise<void>((r) => (resolveSeen = r));
    const splitter = new FrameSplitter((f) => {
      if (Number.isNaN(anyFrameAt) && f.plain().trim()) anyFrameAt = f.at;
      if (Number.isNaN(firstAt) && showsDemoMessage(f.plain())) {
        firstAt = f.at;
        resolveSeen();
      }
    });
    const pty = await startPty(CLI, ['demo'], { cols: COLS, rows: ROWS, env: { CHAT_TUI_CONFIG_DIR: configDir, CI: '' }, keepOutput: false, spawnedAt: (t) => (spawnedAt = t) });
    pty.onData((ch) => splitter.push(ch));
    await Promise.race([seen, sleep(10_000)]);
    await pty.stop();
    times.push(firstAt - spawnedAt);
    c.log(`startup run ${run + 1}: ${(firstAt - spawnedAt).toFixed(1)} ms (first frame of any content at ${(anyFrameAt - spawnedAt).toFixed(1)} ms)`);
  }
  c.emit({ name: 'startup_ms', value: median(times), unit: 'ms', target: targetOf('startup_ms'), note: `median of ${times.length}; spawn → first frame with a message` });
}

/** Whether a frame shows a message row of the pane: `HH:MM  author │ text` (src/ui/lines.ts layout). */
export function showsDemoMessage(plain: string): boolean {
  return /\d\d:\d\d +[^│\n]*│ \S/.test(plain);
}
