import assert from 'node:assert/strict';
/**
 * Shared frame fuzzer and heap probe for the connector fuzz tests (hostile input: "Fuzz each
 * connector's frame parser with at least 10,000 random and mutated frames (wrong types, missing fields,
 * huge strings, deep nesting, non-JSON, binary frames): the process stays up, memory stays bounded, and a
 * valid message sent afterwards still arrives").
 *
 * Each test gives a factory of VALID frames of its protocol; `fuzzFrames` derives every frame from one:
 * mutated text, a field set to a value of the wrong type, a field removed, a string field made 1–2 MiB, a
 * field replaced by 10,000+ levels of nesting, text that is not JSON, truncated JSON, binary frames, and
 * some valid frames. `fuzzRound` sends a round and checks every kind was sent; `settledHeap` forces full
 * garbage collections and reads `heapUsed + external`, so a test can assert that a second round of the
 * same size grows it by (much) less than a bound: a connector that keeps something per frame fails.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
// Keep V8 from dropping the bytecode of functions idle since the baseline (it ages with every full GC
// and would show up as the heap shrinking by a MiB or two: noise that could hide a small leak).
v8.setFlagsFromString('--no-flush-bytecode');
/** V8's `gc()` (exposed at run time; a new context picks the flag up). */
const gc = vm.runInNewContext('gc') as () => void;

/** 1 MiB in bytes. */
export const MiB = 1024 * 1024;

/** A seeded PRNG (mulberry32): the same seed gives the same frames. */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
}

/** A seeded PRNG for `seed` (any 32-bit integer). */
export function rng(seed: number): Rng {
  let s = seed | 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return { next, int, pick: (xs) => xs[int(xs.length)]! };
}

/** What a fuzz frame is. Every kind is sent in every round (`fuzzRound` checks). */
export type FuzzKind =
  | 'valid'
  | 'text-mutation'
  | 'wrong-type'
  | 'missing-field'
  | 'huge-string'
  | 'deep-nesting'
  | 'non-json'
  | 'truncated'
  | 'binary';

export const FUZZ_KINDS: readonly FuzzKind[] = ['valid', 'text-mutation', 'wrong-type', 'missing-field', 'huge-string', 'deep-nesting', 'non-json', 'truncated', 'binary'];

/** One frame to push: text (`binary: false`) or a binary frame. */
export interface FuzzFrame {
  kind: FuzzKind;
  data: string | Buffer;
  binary: boolean;
}

/** Values of every JSON type (and hostile strings) that replace a field: "wrong types". */
const WRONG: readonly unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  '',
  ' ',
  'x',
  '0',
  'null',
  '\u001b[2J\u001b[H',
  '\u001b]52;c;ZXZpbA==\u0007',
  '\u0000\u0007\b\r',
  '\u202e\u2066bidi',
  '\ud800 lone surrogate',
  'é👍🏽'.repeat(100),
  'A'.repeat(5000),
  [],
  {},
  [1, [2, [3]]],
  [null],
  { a: { b: null } },
  JSON.parse('{"__proto__":{"polluted":true}}'),
  JSON.parse('{"constructor":{"prototype":{"polluted":true}}}'),
];

/** A fresh copy of one of WRONG (the pool itself is never changed). */
const wrong = (r: Rng): unknown => {
  const v = r.pick(WRONG);
  return typeof v === 'object' && v !== null ? JSON.parse(JSON.stringify(v)) : v;
};

const NON_JSON: readonly ((r: Rng, valid: string) => string)[] = [
  () => '',
  () => ' ',
  () => 'undefined',
  () => 'NaN',
  () => '{',
  () => '}',
  () => '[',
  () => "{'type':'message'}",
  () => '\ufeff{}',
  (r) => Array.from({ length: 1 + r.int(200) }, () => String.fromCharCode(32 + r.int(95))).join(''),
  (r) => Array.from({ length: 1 + r.int(200) }, () => String.fromCharCode(r.int(0x3000))).join(''),
  (_r, v) => `${v}}`,
  (_r, v) => `${v} trailing`,
  (_r, v) => `${v}${v}`,
  (_r, v) => v.replace(/"/g, "'"),
  () => '['.repeat(20_000), // unbalanced nesting
  () => `${'{"a":'.repeat(20_000)}1`, // unbalanced nesting
];

/** Every path (keys/indices) to a value inside `v` (containers and leaves), root excluded. */
function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (Array.isArray(v)) v.forEach((x, i) => (out.push([...prefix, i]), paths(x, [...prefix, i], out)));
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) out.push([...prefix, k]), paths(x, [...prefix, k], out);
  return out;
}

type Container = Record<string | number, unknown>;
const isContainer = (v: unknown): v is Container => typeof v === 'object' && v !== null;

/** The container holding `path`'s last step, and that step; undefined when an earlier change cut the path. */
function parentOf(root: unknown, path: (string | number)[]): [Container, string | number] | undefined {
  let cur: unknown = root;
  for (const step of path.slice(0, -1)) cur = isContainer(cur) ? cur[step] : undefined;
  return isContainer(cur) ? [cur, path[path.length - 1]!] : undefined;
}

const DEEP_MARK = '\u0001DEEP\u0001';
/** 2 MiB of text with escape sequences and multi-byte characters; made once, at import (before any heap baseline). */
const HUGE = (() => {
  const unit = 'huge \u001b[31mred\u001b[0m é👍 ';
  // Through a Buffer: a flat string now (`repeat` gives a rope that the first slice would flatten later).
  return Buffer.from(unit.repeat(Math.ceil((2 * 1024 * 1024) / Buffer.byteLength(unit)))).toString('utf8');
})();
const HUGE_BYTES = Buffer.byteLength(HUGE);

/** A string of about `bytes` UTF-8 bytes (≤ 2 MiB), cut from HUGE. */
function hugeString(bytes: number): string {
  return HUGE.slice(0, Math.floor((bytes * HUGE.length) / HUGE_BYTES));
}

/** Options of `fuzzFrames`. */
export interface FuzzOptions {
  seed: number;
  /** Frames in the round (≥ 10,000). */
  count: number;
  /** A valid frame of the protocol (a fresh object each call; vary ids with `i`). */
  valid: (r: Rng, i: number) => unknown;
  /** One frame in `hugeEvery` carries a 1–2 MiB string (default 500: 20 per 10,000). */
  hugeEvery?: number;
}

/**
 * `count` frames: ~10 % valid, the rest mutated or broken (see `FuzzKind`). Deep nesting is 10,000 to
 * 20,000 levels of `[` or `{"a":`; huge strings are 1–2 MiB (some just under the 1 MiB frame limit, so
 * they are parsed, most over it). Text frames are always valid UTF-8 (an invalid one is a protocol error
 * that makes `ws` close the socket, which would end the fuzz early).
 */
export function* fuzzFrames(o: FuzzOptions): Generator<FuzzFrame> {
  const r = rng(o.seed);
  const hugeEvery = o.hugeEvery ?? 500;
  for (let i = 0; i < o.count; i++) {
    const base = o.valid(r, i);
    const text = JSON.stringify(base);
    // Mid-cycle, so a round never ends on a huge frame (whatever holds "the last frame" holds a small one).
    if (i % hugeEvery === hugeEvery >> 1) {
      const copy = JSON.parse(text) as unknown;
      const all = paths(copy);
      const strings = all.filter((p) => {
        const at = parentOf(copy, p);
        return at !== undefined && typeof at[0][at[1]] === 'string';
      });
      const p = strings.length && r.int(4) ? r.pick(strings) : all.length ? r.pick(all) : undefined;
      // Some just under the 1 MiB frame limit (parsed), the rest 1–2 MiB (dropped by the size check).
      const size = r.int(4) === 0 ? MiB - 4096 : MiB + r.int(MiB);
      const at = p && parentOf(copy, p);
      if (at) {
        const [parent, key] = at;
        parent[key] = hugeString(size);
        yield { kind: 'huge-string', data: JSON.stringify(copy), binary: false };
      } else yield { kind: 'huge-string', data: JSON.stringify(hugeString(size)), binary: false };
      continue;
    }
    const roll = r.next();
    if (roll < 0.1) {
      yield { kind: 'valid', data: text, binary: false };
    } else if (roll < 0.25) {
      const chars = [...text];
      for (let k = 0, n = 1 + r.int(6); k < n; k++) {
        const at = r.int(chars.length + 1);
        const c = String.fromCharCode(r.int(3) ? 32 + r.int(95) : r.int(0x250));
        const op = r.int(3);
        if (op === 0) chars[at] = c;
        else if (op === 1) chars.splice(at, 0, c);
        else chars.splice(at, 1);
      }
      yield { kind: 'text-mutation', data: chars.join(''), binary: false };
    } else if (roll < 0.45) {
      const copy = JSON.parse(text) as unknown;
      const all = paths(copy);
      for (let k = 0, n = 1 + r.int(3); k < n && all.length; k++) {
        const at = parentOf(copy, r.pick(all));
        if (at) at[0][at[1]] = wrong(r);
      }
      yield { kind: 'wrong-type', data: JSON.stringify(all.length ? copy : wrong(r)) ?? 'null', binary: false };
    } else if (roll < 0.6) {
      const copy = JSON.parse(text) as unknown;
      const all = paths(copy);
      for (let k = 0, n = 1 + r.int(3); k < n && all.length; k++) {
        const at = parentOf(copy, r.pick(all));
        if (!at) continue;
        const [parent, key] = at;
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else delete parent[key];
      }
      yield { kind: 'missing-field', data: JSON.stringify(copy), binary: false };
    } else if (roll < 0.65) {
      const copy = JSON.parse(text) as unknown;
      const all = paths(copy);
      const depth = 10_000 + r.int(10_000);
      const deep = r.int(2) ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}"x"${'}'.repeat(depth)}`;
      const at = all.length ? parentOf(copy, r.pick(all)) : undefined;
      if (at) {
        at[0][at[1]] = DEEP_MARK;
        yield { kind: 'deep-nesting', data: JSON.stringify(copy).replace(JSON.stringify(DEEP_MARK), () => deep), binary: false };
      } else yield { kind: 'deep-nesting', data: deep, binary: false };
    } else if (roll < 0.75) {
      yield { kind: 'non-json', data: r.pick(NON_JSON)(r, text), binary: false };
    } else if (roll < 0.85) {
      yield { kind: 'truncated', data: text.slice(0, r.int(text.length)), binary: false };
    } else {
      // Random bytes, or a valid frame's bytes, as a binary frame.
      const data = r.int(4) ? Buffer.from(Array.from({ length: r.int(300) }, () => r.int(256))) : Buffer.from(text);
      yield { kind: 'binary', data, binary: true };
    }
  }
}

/** Frames sent per kind. */
export type FuzzCounts = Record<FuzzKind, number>;

/**
 * Sends one round of `o.count` frames through `send`, yielding to the event loop every 50 frames (so the
 * test server's socket drains as a real one would). Returns the frames sent per kind; throws when the
 * round missed a kind, or sent too few huge or deep frames to mean anything.
 */
export async function fuzzRound(o: FuzzOptions, send: (f: FuzzFrame) => void): Promise<FuzzCounts> {
  const counts = Object.fromEntries(FUZZ_KINDS.map((k) => [k, 0])) as FuzzCounts;
  let n = 0;
  for (const f of fuzzFrames(o)) {
    send(f);
    counts[f.kind]++;
    if (++n % 50 === 0) await new Promise((r) => setImmediate(r));
  }
  if (n < o.count) throw new Error(`sent ${n} frames, wanted ${o.count}`);
  for (const k of FUZZ_KINDS) if (counts[k] === 0) throw new Error(`the round sent no ${k} frame`);
  if (counts['huge-string'] < 10 || counts['deep-nesting'] < 100) throw new Error(`too few huge (${counts['huge-string']}) or deep (${counts['deep-nesting']}) frames`);
  return counts;
}

/**
 * The JavaScript heap plus the memory outside it that JavaScript objects hold (`heapUsed + external`:
 * Buffers, e.g. the frames `ws` hands over, live outside the heap), in bytes, after full garbage
 * collections with turns of the event loop between them.
 */
export async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/** `bytes` in MiB, one decimal. */
export const toMiB = (bytes: number): number => Math.round((bytes / MiB) * 10) / 10;

/** Heap growth over the first round must stay under this (bytes). */
export const FIRST_ROUND_MAX = 32 * MiB;
/**
 * Heap growth over the second round (same size) must stay under this: nothing kept per frame. Measured
 * 0.1–0.6 MiB for the four connectors (bounded caches still filling); keeping ~150 bytes or more per
 * frame fails (1.5 MiB / 10,000 frames), and so does keeping every frame (~100 MiB per round).
 */
export const SECOND_ROUND_MAX = 1.5 * MiB;

/**
 * Asserts the heap (bytes, as `settledHeap()` gives: heapUsed + external after a forced GC) measured
 * before, after round 1 and after round 2 of a fuzz: round 1 grew it by less than FIRST_ROUND_MAX, round
 * 2 by less than SECOND_ROUND_MAX (nothing is kept per frame). Throws an AssertionError otherwise.
 */
export function assertHeapBounded(heap: readonly number[]): void {
  const [h0, h1, h2] = heap as [number, number, number];
  assert.ok(h1 - h0 < FIRST_ROUND_MAX, `first 10,000 frames grew the heap by ${toMiB(h1 - h0)} MiB`);
  assert.ok(h2 - h1 < SECOND_ROUND_MAX, `the second 10,000 frames grew the heap by ${toMiB(h2 - h1)} MiB: something is kept per frame`);
}
