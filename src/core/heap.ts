import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Memory policy of the chat-tui process (bench figure `rss_100k_mb`: RSS with 100k
 * messages over 10 rooms in the store). Measured on Node 24 / V8 13.6: after a burst of messages the
 * process kept ~60 MiB of V8 memory that held nothing —
 *
 * 1. the young generation: V8 doubles the two semi-spaces while many new objects survive (a burst of
 *    messages that the store keeps) up to 32 MiB each, and keeps all 64 MiB resident afterwards;
 * 2. freed old-generation pages: a regular mark-compact returns them to V8's page pool, which stays
 *    resident; only a memory-reducing GC releases the pool — V8's memory reducer does that only after
 *    some mark-compacts and ≥ 8 s of idleness, and in practice it never ran after a burst here.
 *
 * Hence two levers, both in this module:
 * - {@link boundYoungGeneration} (src/cli/main.ts, for every command): the young generation may grow up
 *   to {@link YOUNG_GENERATION_CAP} (2 × 4 MiB semi-spaces) and no further. `--max-semi-space-size` is
 *   read only when the heap is set up (re-executing node with it would cost start-up time);
 *   `--semi-space-growth-factor` is read at each resize, so it is 2 while the young generation is under
 *   the cap and 1 from then on (looked at after each GC). The GC observer cannot run while modules
 *   evaluate synchronously, so loading Ink may take the young generation one step past the cap (16 MiB
 *   measured), where it stays until the reducer below next runs. That is allowed: holding it at its
 *   initial 1 MiB semi-spaces until Ink is loaded cost the TUI's start ~20 extra scavenges (~50 ms,
 *   bench `startup_ms`), and shrinking it on its own would need a last-resort GC (~100 ms of pause
 *   for 8 MiB; a regular mark-compact does not shrink the young generation).
 *   4 MiB semi-spaces: a keystroke's frame (~5 MB of short-lived Ink objects) costs one or two
 *   scavenges instead of five with the initial 1 MiB, and the ingest of 100k messages measured faster
 *   than with V8's default 32 MiB.
 * - {@link startHeapReducer} (the TUI in a terminal): once the old generation has grown by
 *   {@link HeapReducerOptions.growthBytes} since the last reduction and the process is idle (under 10 %
 *   of a core for one tick), one memory-reducing GC (V8's "last resort" collection: compacts, shrinks
 *   the young generation and releases the page pool). It runs only when nothing is happening — never
 *   during a flood — and only after the store grew (a burst of messages, a backfill), not while typing:
 *   the pause (tens of ms up to ~200 ms for a store of 100k messages) comes once after a burst, and
 *   never within 2 s of a keystroke ({@link noteUserActivity}).
 */

/** Largest young generation (both semi-spaces) the TUI lets V8 grow to, bytes. */
export const YOUNG_GENERATION_CAP = 8 * 1024 * 1024;

function newSpaceBytes(): number {
  for (const s of getHeapSpaceStatistics()) if (s.space_name === 'new_space') return s.space_size;
  return 0;
}

let youngObserver: PerformanceObserver | undefined;
/** Re-reads the young generation's size and sets the growth factor (set by boundYoungGeneration). */
let youngCheck: (() => void) | undefined;

/**
 * Lets the young generation grow up to `cap` bytes and no further (see the module comment): the growth
 * factor is set after each GC from the young generation's size. The GC observer runs only while the
 * young generation is under the cap (Node builds a performance entry per GC for it, ~0.2 ms each, with
 * a GC every keystroke or two); once at the cap it stops, and the heap reducer, the one thing that
 * shrinks the young generation again, re-arms it. Idempotent; never throws (an engine without the flag
 * only uses more memory).
 */
export function boundYoungGeneration(cap = YOUNG_GENERATION_CAP): void {
  if (youngCheck) return;
  let factor = 0;
  const setFactor = (want: number): void => {
    if (want === factor) return;
    factor = want;
    try {
      setFlagsFromString(`--semi-space-growth-factor=${want}`);
    } catch {
      // an engine without the flag: only more memory
    }
  };
  const check = (): void => {
    if (newSpaceBytes() >= cap) {
      setFactor(1);
      youngObserver?.disconnect();
      youngObserver = undefined;
      return;
    }
    setFactor(2);
    if (youngObserver) return;
    try {
      youngObserver = new PerformanceObserver(check);
      youngObserver.observe({ entryTypes: ['gc'] });
    } catch {
      youngObserver = undefined;
    }
  };
  youngCheck = check;
  check();
}

/** Whether the young-generation GC observer is running (tests). */
export function youngGenerationWatched(): boolean {
  return youngObserver !== undefined;
}

/** The `gc` function of V8's gc extension, or null where it cannot be had. */
type GcFunction = (options?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async'; flavor?: 'regular' | 'last-resort' }) => void;

let gcFunction: GcFunction | null | undefined;

/**
 * V8's `gc` function without `--expose-gc` on the command line: the flag is set for a moment, a fresh
 * context gets the extension, and the flag is cleared again (the app's own context never gets a
 * global `gc`). Null where the engine refuses.
 */
function getGc(): GcFunction | null {
  if (gcFunction !== undefined) return gcFunction;
  try {
    setFlagsFromString('--expose-gc');
    const fn: unknown = runInNewContext('typeof gc === "function" ? gc : null');
    gcFunction = typeof fn === 'function' ? (fn as GcFunction) : null;
  } catch {
    gcFunction = null;
  } finally {
    try {
      setFlagsFromString('--no-expose-gc');
    } catch {
      /* nothing to undo */
    }
  }
  return gcFunction;
}

let lastUserActivity = -Infinity;

/**
 * Tells the heap reducer that the user just did something (a key, a click): its pause must not land
 * in the middle of typing, even slow typing that looks idle to a CPU measure. Cheap; call it per input.
 */
export function noteUserActivity(): void {
  lastUserActivity = performance.now();
}

/** Tuning of {@link startHeapReducer}. */
export interface HeapReducerOptions {
  /** How often the heap and the CPU use are looked at, ms (default 500). */
  intervalMs?: number;
  /** Growth of the committed old generation (the heap without the young generation) since the last reduction that makes one worthwhile, bytes (default 16 MiB). */
  growthBytes?: number;
  /** Below this share of one core during the last tick the process counts as idle (default 0.1). */
  idleCpuShare?: number;
  /** No reduction within this long after the last {@link noteUserActivity}, ms (default 2000). */
  quietMs?: number;
  /** Called after each reduction with the committed old generation before and after, bytes (tests, diagnostics). */
  onReduce?: (before: number, after: number) => void;
}

/**
 * Starts the idle memory reducer (see the module comment). The timer does not keep the process alive;
 * V8's gc function is fetched on the first reduction (a new context costs start-up time), and where it
 * cannot be had the reducer stops. Returns a function that stops it.
 */
export function startHeapReducer(o: HeapReducerOptions = {}): () => void {
  const intervalMs = o.intervalMs ?? 500;
  const growth = o.growthBytes ?? 16 * 1024 * 1024;
  const idleShare = o.idleCpuShare ?? 0.1;
  const quietMs = o.quietMs ?? 2000;
  // The young generation is left out: it grows and shrinks with the allocation rate (a typing user),
  // not with what the store keeps.
  const oldGeneration = (): number => getHeapStatistics().total_heap_size - newSpaceBytes();
  let baseline = oldGeneration();
  let cpu = process.cpuUsage();
  let at = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const used = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    const busyMs = (used.user + used.system) / 1000;
    const idle = busyMs < idleShare * (now - at);
    at = now;
    // V8 may have shrunk the young generation by itself: then it may grow to the cap again.
    youngCheck?.();
    const committed = oldGeneration();
    // The heap also shrinks by itself (V8's own GCs): growth counts from the lowest point since.
    if (committed < baseline) baseline = committed;
    if (!idle || committed < baseline + growth || now - lastUserActivity < quietMs) return;
    const gc = getGc();
    if (!gc) {
      clearInterval(timer);
      return;
    }
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    // The collection shrank the young generation: it may grow to the cap again.
    youngCheck?.();
    baseline = oldGeneration();
    o.onReduce?.(committed, baseline);
    // The collection itself used CPU: the next tick starts fresh.
    cpu = process.cpuUsage();
    at = performance.now();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
