/**
 * Keypress → echo latency of a program in a pty, measured the same way for chat-tui and WeeChat: a key is
 * written to the pty, and its latency is the time to the first frame (lib/frames.ts; for a program that
 * does not mark frames, each output chunk) whose text shows the key's effect — a typed letter must appear
 * in it, a backspace needs any output. 40 letters, then 40 backspaces, … so the input line stays short.
 */
import type { Frame } from './frames.js';
import { percentile } from './stats.js';

/** What `measureKeys` needs of a pty host. */
export interface KeyTarget {
  write(keys: string): void;
  onFrame(listener: (f: Frame) => void): () => void;
}

/** Latencies of one series of keys (ms, NaN for a key that drew nothing within 2 s) and their p50/p99. */
export interface KeySeries {
  latencies: number[];
  p50: number;
  /** NaN unless every key drew. */
  p99: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Types `count` keys (60 ms apart) into `t` and times each to its echo (see the file comment). */
export async function measureKeys(t: KeyTarget, count = 100): Promise<KeySeries> {
  const latencies: number[] = [];
  for (let k = 0; k < count; k++) {
    const phase = Math.floor(k / 40) % 2;
    const letter = String.fromCharCode(97 + (k % 26));
    const key = phase === 0 ? letter : '\u007f';
    let resolveFrame!: (at: number) => void;
    const next = new Promise<number>((r) => (resolveFrame = r));
    const off = t.onFrame((f) => {
      if (phase === 1 || f.plain().includes(letter)) resolveFrame(f.at);
    });
    const t0 = performance.now();
    t.write(key);
    const at = await Promise.race([next, sleep(2000).then(() => Number.NaN)]);
    off();
    latencies.push(at - t0);
    await sleep(60);
  }
  const seen = latencies.filter((x) => !Number.isNaN(x));
  return { latencies, p50: percentile(seen, 50), p99: seen.length === count ? percentile(seen, 99) : Number.NaN };
}

/** One log line for a series: how many drew, p50, p99, max and the 8 slowest keys (`ms@index`). */
export function describeKeys(s: KeySeries): string {
  const seen = s.latencies.filter((x) => !Number.isNaN(x));
  const slow = s.latencies.map((x, i) => [x, i] as const).sort((a, b) => b[0] - a[0]).slice(0, 8).map(([x, i]) => `${x.toFixed(0)}@${i}`).join(' ');
  return `${seen.length}/${s.latencies.length} keys echoed, p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${Math.max(...seen).toFixed(1)} ms; slowest: ${slow}`;
}
