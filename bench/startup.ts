/**
 * `startup_ms` (printed for information) and `startup_vs_ink_floor`: `chat-tui demo` spawned in a 120×40
 * pty → the first frame that shows a demo message, ÷ the same time for a bare Ink program drawing the same
 * rows (bench/ink-floor.mjs), the two started alternately in the same run.
 */
import { join } from 'node:path';
import { FrameSplitter } from './lib/frames.js';
import { CLI, ROOT, startPty, tempDir } from './lib/proc.js';
import { median } from './lib/stats.js';
import { targetOf } from './lib/report.js';
import { COLS, ROWS, type TuiBenchContext } from './tui.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Whether a frame shows a message row of the pane: `HH:MM  author │ text` (src/ui/lines.ts layout), or
 * `┆` instead of `│` for a message shown from the archive that the server has not confirmed yet.
 */
export function showsDemoMessage(plain: string): boolean {
  return /\d\d:\d\d +[^│┆\n]*[│┆] \S/.test(plain);
}

/** Spawn → first frame showing a message row, ms (NaN after 10 s); also logs the first frame of any content. */
async function firstMessageFrame(cmd: string[], args: string[], env: Record<string, string>): Promise<{ ms: number; anyMs: number }> {
  let spawnedAt = 0;
  let firstAt = Number.NaN;
  let anyAt = Number.NaN;
  let resolveSeen!: () => void;
  const seen = new Promise<void>((r) => (resolveSeen = r));
  const splitter = new FrameSplitter((f) => {
    if (Number.isNaN(anyAt) && f.plain().trim()) anyAt = f.at;
    if (Number.isNaN(firstAt) && showsDemoMessage(f.plain())) {
      firstAt = f.at;
      resolveSeen();
    }
  });
  const pty = await startPty(cmd, args, { cols: COLS, rows: ROWS, env: { CI: '', ...env }, keepOutput: false, spawnedAt: (t) => (spawnedAt = t) });
  pty.onData((ch) => splitter.push(ch));
  await Promise.race([seen, sleep(10_000)]);
  await pty.stop();
  return { ms: firstAt - spawnedAt, anyMs: anyAt - spawnedAt };
}

/** Runs max(3, runs) pairs (chat-tui demo, then the floor) and emits the two figures (those wanted). */
export async function benchStartup(c: TuiBenchContext): Promise<void> {
  const ours: number[] = [];
  const floor: number[] = [];
  const floorCmd = [process.execPath, join(ROOT, 'bench', 'ink-floor.mjs')];
  for (let run = 0; run < Math.max(3, c.runs); run++) {
    const o = await firstMessageFrame(CLI, ['demo'], { CHAT_TUI_CONFIG_DIR: tempDir() });
    const f = await firstMessageFrame(floorCmd, [], {});
    ours.push(o.ms);
    floor.push(f.ms);
    c.log(`startup run ${run + 1}: chat-tui demo ${o.ms.toFixed(1)} ms (first frame of any content at ${o.anyMs.toFixed(1)} ms), bare Ink ${f.ms.toFixed(1)} ms; ratio ${(o.ms / f.ms).toFixed(2)}`);
  }
  const note = `median of ${ours.length}; spawn → first frame with a message`;
  if (c.want('startup_ms')) c.emit({ name: 'startup_ms', value: median(ours), unit: 'ms', target: targetOf('startup_ms'), note });
  if (c.want('startup_vs_ink_floor')) {
    const v = median(ours);
    const b = median(floor);
    c.emit({ name: 'startup_vs_ink_floor', value: v, unit: 'ms', baseline: b, ratio: v / b, target: targetOf('startup_vs_ink_floor'), note: `${note}; baseline bench/ink-floor.mjs (bare Ink, the same rows)` });
  }
}
