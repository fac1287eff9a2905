import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { startHeapReducer } from '../../src/ui/heap.js';

/** The committed heap without the young generation, bytes (what the reducer watches). */
const oldGeneration = (): number => getHeapStatistics().total_heap_size - (getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('heap reducer: after the heap grew and the process went idle, one memory-reducing GC gives the memory back', async () => {
  const reductions: { before: number; after: number }[] = [];
  const stop = startHeapReducer({ intervalMs: 50, growthBytes: 8 * 1024 * 1024, onReduce: (before, after) => reductions.push({ before, after }) });
  try {
    // A burst: ~40 MB of objects that become garbage at once.
    let burst: { id: string; n: number }[][] | undefined = [];
    for (let i = 0; i < 200; i++) burst.push(Array.from({ length: 2000 }, (_, j) => ({ id: `m${i}-${j}`, n: j })));
    const grown = oldGeneration();
    assert.ok(burst.length === 200);
    burst = undefined;
    for (let i = 0; i < 100 && reductions.length === 0; i++) await sleep(50);
    assert.equal(reductions.length, 1, 'one reduction once idle');
    const r = reductions[0]!;
    assert.ok(r.before >= grown - 1024 * 1024, 'measured the grown heap');
    assert.ok(r.after < r.before - 8 * 1024 * 1024, `the heap shrank (${r.before} → ${r.after})`);
    // Idle again without growth: no further collections.
    await sleep(300);
    assert.equal(reductions.length, 1);
    // The app's own context never gets a global gc.
    assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined');
  } finally {
    stop();
  }
});

test('heap reducer: no collection while busy', async () => {
  const reductions: number[] = [];
  const stop = startHeapReducer({ intervalMs: 50, growthBytes: 1, onReduce: (b) => reductions.push(b) });
  try {
    // Busy (well over 10 % of a core) for ~400 ms, yielding to timers between slices.
    const keep: unknown[] = [];
    const end = performance.now() + 400;
    while (performance.now() < end) {
      const sliceEnd = performance.now() + 20;
      while (performance.now() < sliceEnd) keep.push({ x: keep.length });
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(reductions.length, 0);
    assert.ok(keep.length > 0);
    // …and the same reducer does collect once the process goes idle (the busy phase was not vacuous).
    for (let i = 0; i < 100 && reductions.length === 0; i++) await sleep(50);
    assert.equal(reductions.length, 1);
  } finally {
    stop();
  }
});

test('young generation: bounded at the cap under a burst of surviving objects, unbounded without (child processes)', async () => {
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const heapModule = fileURLToPath(new URL('../../src/ui/heap.ts', import.meta.url));
  // A burst like the store's: many small objects that survive, allocated in slices (the GC observer runs between them).
  const script = (bound: boolean): string => `
    import v8 from 'node:v8';
    const young = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    ${bound ? `const { boundYoungGeneration } = await import(${JSON.stringify(heapModule)}); await new Promise((r) => setImmediate(r)); boundYoungGeneration(4 * 1024 * 1024);` : ''}
    const start = young();
    const keep = [];
    let max = 0;
    for (let slice = 0; slice < 200; slice++) {
      for (let i = 0; i < 2000; i++) keep.push({ id: 'm' + slice + '-' + i, text: 'x'.repeat(40) + i, n: i });
      max = Math.max(max, young());
      await new Promise((r) => setImmediate(r));
    }
    process.stdout.write(JSON.stringify({ start, max }));`;
  const run = (bound: boolean): Promise<{ start: number; max: number }> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(bound)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d));
      child.stderr.on('data', (d: Buffer) => (err += d));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as { start: number; max: number }) : reject(new Error(`child exited ${code}: ${err}`))));
    });
  const [bounded, free] = await Promise.all([run(true), run(false)]);
  // The bound does not shrink what the test runner's own start-up grew; a doubling past the cap may slip
  // in before the observer sees a GC, and V8 adds pages to the young generation while it promotes.
  // Unbounded, V8 grows it to 2 × 32 MiB.
  const limit = 4 * Math.max(bounded.start, 4 * 1024 * 1024);
  assert.ok(bounded.max <= limit, `bounded young generation ${bounded.max} bytes (started at ${bounded.start})`);
  assert.ok(free.max > limit, `without the bound V8 grows it (${free.max} bytes): the test can tell the difference`);
});
