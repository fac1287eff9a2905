import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { FrameSplitter } from './lib/frames.js';
import { CLI, ROOT, startPty } from './lib/proc.js';
import { median } from './lib/stats.js';
import { showsDemoMessage } from './startup.js';
import { COLS, ROWS } from './tui.js';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function warm(cmd: string[], env: Record<string, string>): Promise<number> {
  let spawnedAt = 0; let firstAt = NaN; let res!: () => void; const seen = new Promise<void>((r) => (res = r));
  const sp = new FrameSplitter((f) => { if (Number.isNaN(firstAt) && showsDemoMessage(f.plain())) { firstAt = f.at; res(); } });
  const pty = await startPty(cmd, [], { cols: COLS, rows: ROWS, env: { CI: '', ...env }, keepOutput: false, spawnedAt: (t) => (spawnedAt = t) });
  pty.onData((c) => sp.push(c));
  await Promise.race([seen, sleep(10000)]);
  await pty.stop();
  return firstAt - spawnedAt;
}
const n = Number(process.argv[2] ?? 7);
const ours: number[] = [], floor: number[] = [];
for (let i = 0; i < n; i++) {
  ours.push(await warm(CLI, { CHAT_TUI_CONFIG_DIR: '/tmp/prof/cfg' }));
  floor.push(await warm([process.execPath, join(ROOT, 'bench', 'ink-floor.mjs')], {}));
}
console.log('ours', ours.map((x) => x.toFixed(0)).join(' '), 'median', median(ours).toFixed(0));
console.log('floor', floor.map((x) => x.toFixed(0)).join(' '), 'median', median(floor).toFixed(0));
console.log('ratio', (median(ours) / median(floor)).toFixed(2));
