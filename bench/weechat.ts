/**
 * The WeeChat side of the side-by-side figures (`flood_cpu_vs_weechat`, `rss_per_100k_vs_weechat`,
 * `keypress_vs_weechat`): WeeChat (lib/weechat.ts) in a 120×40 pty, fed by the bench's IRC server
 * (lib/irc.ts) with the same messages as chat-tui gets from the chatapi bench server, measured exactly as
 * chat-tui is: CPU from /proc/PID/stat, RSS from /proc/PID/status, keypress → echo (lib/keys.ts).
 */
import { hostPty, type PtyHost } from './lib/host.js';
import { startIrcServer, type IrcServer } from './lib/irc.js';
import { measureKeys, type KeySeries } from './lib/keys.js';
import { cpuSeconds, rssMb } from './lib/proc.js';
import { median } from './lib/stats.js';
import { startWeechat } from './lib/weechat.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The flood line of the TUI figures (bench/tui.ts), for both clients. */
export const floodText = (i: number): string => `msg#${i}: flood line from the bench`;
/** The load line of the 100k figures (bench/memory.ts) in room/channel `room`, for both clients. */
export const loadText = (room: string, i: number): string => `msg#${i}: in ${room} from the bench, the quick brown fox`;

async function withWeechat<T>(path: string, channels: string[], fn: (w: PtyHost, irc: IrcServer) => Promise<T>): Promise<T> {
  const irc = await startIrcServer();
  let host: PtyHost | undefined;
  try {
    host = hostPty(await startWeechat(path, irc.port, channels, { cols: 120, rows: 40 }), false);
    await irc.waitForJoins(1, channels.at(-1));
    await host.settle(700, 8000);
    return await fn(host, irc);
  } finally {
    await host?.stop();
    await irc.close();
  }
}

/**
 * One WeeChat flood run: `rate` msg/s for `seconds` s into the shown channel; CPU s ÷ wall s, and whether
 * WeeChat had read every line (it answered a PING sent after the flood; its screen cannot be searched for
 * the last line, curses rewrites only the characters that changed).
 */
export async function weechatFloodRun(path: string, rate: number, seconds: number): Promise<{ cpu: number; synced: boolean }> {
  return withWeechat(path, ['#bench'], async (w, irc) => {
    const count = rate * seconds;
    const flood = irc.prepare('#bench', count, (i) => ({ content: floodText(i), senderName: `User ${i % 20}` }));
    const cpu0 = cpuSeconds(w.pty.pid);
    const t0 = performance.now();
    await irc.stream(flood, { rate });
    const wall = (performance.now() - t0) / 1000;
    const cpu1 = cpuSeconds(w.pty.pid);
    const synced = await irc.sync();
    await w.settle(300, 3000);
    return { cpu: (cpu1 - cpu0) / wall, synced };
  });
}

/** RSS (MiB) of `pid`: median of 5 samples over 1 s, taken 1 s from now (the same sampling as chat-tui's). */
export async function sampleRss(pid: number): Promise<number> {
  await sleep(1000);
  const samples = [rssMb(pid)];
  for (let i = 0; i < 4; i++) {
    await sleep(250);
    samples.push(rssMb(pid));
  }
  return median(samples);
}

/**
 * One WeeChat load run: joined to 10 channels, RSS before; 10 × 10,000 lines (the same texts as chat-tui's
 * 10 rooms), RSS after; then 100 keys typed into the input line. Returns MiB and the key series.
 */
export async function weechatLoadRun(path: string, rooms: string[], perRoom: number): Promise<{ before: number; after: number; keys: KeySeries; synced: boolean }> {
  const channels = rooms.map((r) => `#${r}`);
  return withWeechat(path, channels, async (w, irc) => {
    await irc.waitForJoins(1, channels[0]);
    const before = await sampleRss(w.pty.pid);
    for (const [i, ch] of channels.entries()) {
      await irc.stream(irc.prepare(ch, perRoom, (n) => ({ content: loadText(rooms[i]!, n), senderName: `User ${n % 20}` })));
    }
    const synced = await irc.sync();
    await w.settle(1000, 20_000);
    const after = await sampleRss(w.pty.pid);
    const keys = await measureKeys(w);
    return { before, after, keys, synced };
  });
}
