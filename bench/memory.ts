/**
 * The figures with 100k messages held: `rss_100k_mb`, `keypress_ms`, and beside WeeChat
 * `rss_per_100k_vs_weechat` (RSS growth from 0 to 100k messages) and `keypress_vs_weechat` (p99 keypress
 * → echo). Each run starts chat-tui, connects it to 10 rooms, loads 10 × 10,000 messages (the store keeps
 * 10,000 a room by default; one room shown), samples its RSS and types 100 keys; then the same for
 * WeeChat on 10 channels (bench/weechat.ts) — so every run has its own first keys after a load, the
 * slowest ones, on both sides.
 */
import { join } from 'node:path';
import { hostPty } from './lib/host.js';
import { describeKeys, measureKeys, type KeySeries } from './lib/keys.js';
import { ROOT, startPty } from './lib/proc.js';
import { startBenchServer, type BenchRoom } from './lib/server.js';
import { median } from './lib/stats.js';
import { targetOf } from './lib/report.js';
import { findWeechat } from './lib/weechat.js';
import { COLS, ROWS, startTui, type TuiBenchContext } from './tui.js';
import { loadText, sampleRss, weechatLoadRun } from './weechat.js';

const PER_ROOM = 10_000;
const ROOMS: BenchRoom[] = Array.from({ length: 10 }, (_, i) => ({ id: `6f1c2a10-0000-4000-8000-0000000000${String(i + 10)}`, name: `room-${i}` }));

/** One chat-tui load run: RSS before and after 100k messages (MiB) and a key series. */
async function oursLoadRun(c: TuiBenchContext): Promise<{ before: number; after: number; keys: KeySeries }> {
  const server = await startBenchServer({ rooms: ROOMS });
  const tui = await startTui(server, ROOMS, {}, false);
  try {
    await server.waitForSockets(ROOMS.length);
    await tui.settle(700, 8000);
    const before = await sampleRss(tui.pty.pid);
    let lastShown = false;
    const lastToken = `msg#${PER_ROOM - 1}:`;
    const off = tui.onFrame((f) => {
      if (!lastShown && f.plain().includes(lastToken)) lastShown = true;
    });
    for (const r of ROOMS) {
      const batch = server.prepare(r.id, PER_ROOM, (i) => ({ id: `${r.name}-${i}`, content: loadText(r.name, i), senderId: `user_${i % 20}`, senderName: `User ${i % 20}` }));
      await server.stream(batch, { store: false });
    }
    await tui.settle(1000, 20_000);
    off();
    if (!lastShown) c.log('rss: the last message of the shown room was not seen on screen');
    const after = await sampleRss(tui.pty.pid);
    return { before, after, keys: await measureKeys(tui) };
  } finally {
    await tui.stop();
    await server.close();
  }
}

/** Keypress → echo of the bare Ink program (bench/ink-floor.mjs: the demo's rows, no store): Ink's own cost of a key on a full screen. */
async function inkFloorKeys(): Promise<KeySeries> {
  const host = hostPty(await startPty([process.execPath, join(ROOT, 'bench', 'ink-floor.mjs')], [], { cols: COLS, rows: ROWS, keepOutput: false }), false);
  try {
    await host.settle(700, 8000);
    return await measureKeys(host);
  } finally {
    await host.stop();
  }
}

/** Runs `c.runs` paired runs and emits the four figures (those wanted). */
export async function benchRssKeypress(c: TuiBenchContext): Promise<void> {
  const wantWeechat = c.want('rss_per_100k_vs_weechat') || c.want('keypress_vs_weechat');
  const weechat = wantWeechat ? findWeechat(c.log) : undefined;
  const ours = { after: [] as number[], growth: [] as number[], p99: [] as number[] };
  const theirs = { growth: [] as number[], p99: [] as number[] };
  for (let run = 0; run < Math.max(1, c.runs); run++) {
    const o = await oursLoadRun(c);
    ours.after.push(o.after);
    ours.growth.push(o.after - o.before);
    ours.p99.push(o.keys.p99);
    c.log(`rss run ${run + 1}: ${o.after.toFixed(1)} MiB (${o.before.toFixed(1)} MiB before the messages, +${(o.after - o.before).toFixed(1)})`);
    c.log(`keypress run ${run + 1}: ${describeKeys(o.keys)}`);
    if (weechat && 'path' in weechat) {
      const w = await weechatLoadRun(weechat.path, ROOMS.map((r) => r.name), PER_ROOM);
      theirs.growth.push(w.after - w.before);
      theirs.p99.push(w.keys.p99);
      c.log(`rss run ${run + 1}: weechat ${w.after.toFixed(1)} MiB (${w.before.toFixed(1)} before, +${(w.after - w.before).toFixed(1)})${w.synced ? '' : ' (it did not answer a PING after the load)'}`);
      c.log(`keypress run ${run + 1}: weechat ${describeKeys(w.keys)}`);
    }
    if (c.want('keypress_vs_weechat')) c.log(`keypress run ${run + 1}: bare Ink (bench/ink-floor.mjs, diagnosis only) ${describeKeys(await inkFloorKeys())}`);
  }
  const nan = (xs: number[]): number => (xs.some(Number.isNaN) ? Number.NaN : median(xs));
  const runsNote = `median of ${ours.after.length} runs`;
  if (c.want('rss_100k_mb')) c.emit({ name: 'rss_100k_mb', value: median(ours.after), unit: 'MiB', target: targetOf('rss_100k_mb'), note: `${runsNote}; 100k msgs over 10 rooms, 1 shown; /proc VmRSS` });
  if (c.want('keypress_ms')) c.emit({ name: 'keypress_ms', value: nan(ours.p99), unit: 'ms', target: targetOf('keypress_ms'), note: `${runsNote} of the p99 of 100 keys → echo, 100k msgs in the store (10 rooms)` });
  if (!weechat) return;
  const why = 'missing' in weechat ? `weechat: ${weechat.missing}` : `WeeChat ${weechat.version}, 10 channels × 10,000 lines (max_buffer_lines_number 10000)`;
  if ('missing' in weechat) c.log(`rss_per_100k_vs_weechat, keypress_vs_weechat: ${weechat.missing}`);
  if (c.want('rss_per_100k_vs_weechat')) {
    const v = median(ours.growth);
    const b = median(theirs.growth);
    c.emit({ name: 'rss_per_100k_vs_weechat', value: v, unit: 'MiB', baseline: b, ratio: v / b, target: targetOf('rss_per_100k_vs_weechat'), note: `${runsNote}; RSS after 100k msgs − before; ${why}` });
  }
  if (c.want('keypress_vs_weechat')) {
    const v = nan(ours.p99);
    const b = nan(theirs.p99);
    c.emit({ name: 'keypress_vs_weechat', value: v, unit: 'ms', baseline: b, ratio: v / b, target: targetOf('keypress_vs_weechat'), note: `${runsNote} of the p99 of 100 keys → echo; ${why}` });
  }
}
