import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff, sleep, WakeableSleep } from '../../src/core/reconnect.js';

// Issue 7 "Connections": full jitter, first retry within 1 s, cap 30 s, reset after 30 s stable.

const ALMOST_ONE = 0.999_999_9;

describe('Backoff', () => {
  it('first delay is under 1000 ms even with the largest random value', () => {
    const b = new Backoff({ random: () => ALMOST_ONE });
    const d = b.nextDelay();
    assert.ok(d < 1000, `${d}`);
    assert.ok(d >= 999);
  });

  it('doubles the ceiling per attempt (full jitter = random × ceiling)', () => {
    const b = new Backoff({ random: () => 0.5 });
    assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => b.nextDelay()), [500, 1000, 2000, 4000, 8000, 15_000]);
    assert.equal(b.attempts, 6);
  });

  it('never exceeds the 30 s cap, however many attempts', () => {
    const b = new Backoff({ random: () => ALMOST_ONE });
    let max = 0;
    for (let i = 0; i < 200; i++) max = Math.max(max, b.nextDelay());
    assert.ok(max < 30_000, `${max}`);
    assert.ok(max >= 29_999);
  });

  it('uses the whole range: random 0 → 0 ms', () => {
    const b = new Backoff({ random: () => 0 });
    for (let i = 0; i < 10; i++) assert.equal(b.nextDelay(), 0);
  });

  it('clamps a misbehaving random into [0, ceiling)', () => {
    for (const r of [1, 2, -1, Number.NaN, Infinity]) {
      const d = new Backoff({ random: () => r }).nextDelay();
      assert.ok(d >= 0 && d < 1000, `${r} → ${d}`);
    }
  });

  it('resets to the first attempt after a connection was stable for 30 s', () => {
    let now = 0;
    const b = new Backoff({ random: () => 0.5, now: () => now });
    for (let i = 0; i < 5; i++) b.nextDelay();
    b.succeeded();
    now += 30_000;
    assert.equal(b.nextDelay(), 500, 'stable 30 s → back to attempt 0');
  });

  it('does not reset when the connection dropped before 30 s', () => {
    let now = 0;
    const b = new Backoff({ random: () => 0.5, now: () => now });
    for (let i = 0; i < 3; i++) b.nextDelay(); // ceilings 1, 2, 4 s
    b.succeeded();
    now += 29_999;
    assert.equal(b.nextDelay(), 4000, 'flapping connection keeps growing');
  });

  it('reset() forgets past failures (manual reconnect now)', () => {
    const b = new Backoff({ random: () => 0.5 });
    for (let i = 0; i < 8; i++) b.nextDelay();
    b.reset();
    assert.equal(b.attempts, 0);
    assert.equal(b.nextDelay(), 500);
  });

  it('honours custom base and cap', () => {
    const b = new Backoff({ baseMs: 10, capMs: 25, random: () => ALMOST_ONE });
    assert.deepEqual([1, 2, 3, 4].map(() => b.nextDelay()), [9, 19, 24, 24]);
  });

  it('reads the environment overrides and ignores invalid ones', () => {
    const saved = { base: process.env.CHAT_TUI_BACKOFF_BASE_MS, cap: process.env.CHAT_TUI_BACKOFF_CAP_MS };
    try {
      process.env.CHAT_TUI_BACKOFF_BASE_MS = '20';
      process.env.CHAT_TUI_BACKOFF_CAP_MS = '50';
      let b = new Backoff({ random: () => ALMOST_ONE });
      assert.deepEqual([1, 2, 3].map(() => b.nextDelay()), [19, 39, 49]);
      process.env.CHAT_TUI_BACKOFF_BASE_MS = 'fast';
      process.env.CHAT_TUI_BACKOFF_CAP_MS = '-3';
      b = new Backoff({ random: () => 0.5 });
      const d = [1, 2, 3, 4, 5, 6, 7].map(() => b.nextDelay());
      assert.ok(d.every((x) => Number.isFinite(x)), d.join());
      assert.deepEqual(d, [500, 1000, 2000, 4000, 8000, 15_000, 15_000]);
    } finally {
      if (saved.base === undefined) delete process.env.CHAT_TUI_BACKOFF_BASE_MS;
      else process.env.CHAT_TUI_BACKOFF_BASE_MS = saved.base;
      if (saved.cap === undefined) delete process.env.CHAT_TUI_BACKOFF_CAP_MS;
      else process.env.CHAT_TUI_BACKOFF_CAP_MS = saved.cap;
    }
  });
});

describe('sleep', () => {
  it('resolves after the delay', async () => {
    const t0 = Date.now();
    await sleep(30);
    assert.ok(Date.now() - t0 >= 25);
  });

  it('rejects with the abort reason when aborted while waiting', async () => {
    const ac = new AbortController();
    const p = sleep(60_000, ac.signal);
    ac.abort(new Error('stopped'));
    await assert.rejects(p, /stopped/);
  });

  it('rejects at once when the signal is already aborted', async () => {
    await assert.rejects(sleep(60_000, AbortSignal.abort(new Error('gone'))), /gone/);
  });
});

describe('WakeableSleep', () => {
  it('waits the full time unless woken; wake() ends the wait early and never rejects', async () => {
    const w = new WakeableSleep();
    assert.equal(w.waiting, false);
    w.wake(); // nothing to wake: no effect
    let t0 = Date.now();
    await w.wait(30);
    assert.ok(Date.now() - t0 >= 25, 'slept its time');
    t0 = Date.now();
    const p = w.wait(10_000);
    assert.equal(w.waiting, true);
    setTimeout(() => w.wake(), 10);
    await p;
    assert.ok(Date.now() - t0 < 5_000, 'woken early');
    assert.equal(w.waiting, false);
  });
});
