import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { startHeapReducer } from '../../src/core/heap.js';

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


test('young generation bound: the GC observer stops at the cap and the reducer re-arms it after shrinking', { timeout: 60_000 }, async () => {
  // In a child process: the growth factor and the observer are process-wide.
  const { spawnSync } = await import('node:child_process');
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    import { boundYoungGeneration, startHeapReducer, youngGenerationWatched } from './src/core/heap.ts';
    const young = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    const cap = 8 * 1024 * 1024;
    boundYoungGeneration(cap);
    const out = { startWatched: youngGenerationWatched(), start: young() };
    // Survivors in many scavenges, with turns of the event loop for the observer: the young generation grows to the cap.
    const keep = [];
    for (let round = 0; round < 50 && youngGenerationWatched(); round++) {
      for (let i = 0; i < 20000; i++) keep.push({ round, i, s: 'x' + i });
      await new Promise((r) => setTimeout(r, 5));
    }
    out.atCap = young();
    out.kept = keep.length;
    out.watchedAtCap = youngGenerationWatched();
    keep.length = 0;
    const reductions = [];
    const stop = startHeapReducer({ intervalMs: 50, growthBytes: 1, idleCpuShare: 1, onReduce: () => reductions.push(young()) });
    // Some growth after the reducer took its baseline, so that a reduction is due.
    const more = [];
    for (let i = 0; i < 40 && reductions.length === 0; i++) {
      for (let j = 0; j < 5000; j++) more.push({ i, j });
      await new Promise((r) => setTimeout(r, 50));
    }
    out.more = more.length;
    stop();
    out.reduced = reductions[0];
    out.watchedAfter = youngGenerationWatched();
    console.log(JSON.stringify(out));
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, number | boolean>;
  assert.equal(o.startWatched, true, 'under the cap: observed');
  assert.ok((o.atCap as number) >= 8 * 1024 * 1024, `the young generation reached the cap (${o.atCap})`);
  assert.equal(o.watchedAtCap, false, 'at the cap: no more GC observer');
  assert.ok((o.reduced as number) < 8 * 1024 * 1024, `the reducer shrank it (${o.reduced})`);
  assert.equal(o.watchedAfter, true, 'and the observer is back');
});

test('heap reducer: never within quietMs of user activity, even when the process looks idle', async () => {
  const { noteUserActivity } = await import('../../src/core/heap.js');
  const reductions: number[] = [];
  const stop = startHeapReducer({ intervalMs: 50, growthBytes: 1, idleCpuShare: 1, quietMs: 300, onReduce: (b) => reductions.push(b) });
  try {
    // A slow typist: a key every 100 ms for 1 s (idle by CPU the whole time), while the heap grows.
    const keep: unknown[] = [];
    for (let i = 0; i < 10; i++) {
      noteUserActivity();
      for (let j = 0; j < 20_000; j++) keep.push({ i, j });
      await sleep(100);
    }
    assert.ok(keep.length > 0);
    assert.equal(reductions.length, 0, 'no collection while keys arrive');
    // …and once the keys stop for longer than quietMs, the due reduction runs.
    for (let i = 0; i < 40 && reductions.length === 0; i++) await sleep(50);
    assert.equal(reductions.length, 1);
  } finally {
    stop();
  }
});
