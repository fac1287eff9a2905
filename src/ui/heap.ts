import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Memory policy of the TUI process (issue 8 "Bounded memory", figure `rss_100k_mb`: RSS with 100k
 * messages over 10 rooms in the store). Measured on Node 24 / V8 13.6 (see the bench notes in the
 * README): after a burst of messages the process kept ~60 MiB of V8 memory that held nothing —
 *
 * 1. the young generation: V8 doubles the two semi-spaces while many new objects survive (a burst of
 *    messages that the store keeps) up to 32 MiB each, and keeps all 64 MiB resident afterwards;
 * 2. freed old-generation pages: a regular mark-compact returns them to V8's page pool, which stays
 *    resident; only a memory-reducing GC releases the pool — V8's memory reducer does that only after
 *    some mark-compacts and ≥ 8 s of idleness, and in practice it never ran after a burst here.
 *
 * Hence two levers, both in this module:
 * - {@link boundYoungGeneration}: `--semi-space-growth-factor=1`, the one semi-space flag V8 reads
 *   after start-up (`--max-semi-space-size` is read only when the heap is set up, and re-executing
 *   node with it would cost start-up time). The semi-spaces stay at their initial size (1 MiB); the
 *   ingest of 100k messages measured no slower with it.
 * - {@link startHeapReducer}: once the heap has grown by {@link HeapReducerOptions.growthBytes} since the
 *   last reduction and the process is idle (under 10 % of a core for one tick), one memory-reducing
 *   GC (V8's "last resort" collection: compacts, shrinks the young generation and releases the page
 *   pool). It runs only when nothing is happening, so the pause (tens of ms up to ~200 ms for a store of
 *   100k messages) is not felt while reading or typing; it never runs during a flood.
 */

/** Keeps the young generation at its initial size (see the module comment). Never throws. */
export function boundYoungGeneration(): void {
  try {
    setFlagsFromString('--semi-space-growth-factor=1');
  } catch {
    // an engine without the flag: only more memory
  }
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

/** Tuning of {@link startHeapReducer}. */
export interface HeapReducerOptions {
  /** How often the heap and the CPU use are looked at, ms (default 500). */
  intervalMs?: number;
  /** Committed heap growth since the last reduction that makes one worthwhile, bytes (default 16 MiB). */
  growthBytes?: number;
  /** Below this share of one core during the last tick the process counts as idle (default 0.1). */
  idleCpuShare?: number;
  /** Called after each reduction with the committed heap before and after, bytes (tests, diagnostics). */
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
  let baseline = getHeapStatistics().total_heap_size;
  let cpu = process.cpuUsage();
  let at = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const used = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    const busyMs = (used.user + used.system) / 1000;
    const idle = busyMs < idleShare * (now - at);
    at = now;
    const committed = getHeapStatistics().total_heap_size;
    // The heap also shrinks by itself (V8's own GCs): growth counts from the lowest point since.
    if (committed < baseline) baseline = committed;
    if (!idle || committed < baseline + growth) return;
    const gc = getGc();
    if (!gc) {
      clearInterval(timer);
      return;
    }
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    baseline = getHeapStatistics().total_heap_size;
    o.onReduce?.(committed, baseline);
    // The collection itself used CPU: the next tick starts fresh.
    cpu = process.cpuUsage();
    at = performance.now();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
