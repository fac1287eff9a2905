import { UsageError } from '../core/errors.js';

/**
 * Lazy loading of the heavy parts (Ink/React TUI, runtime, demo server): the headless commands never load
 * them (stack.md §4: Ink costs ~140 ms at start). The modules are found next to this file's directory
 * (`dist/…` when built, `src/…` under tsx) and imported with `import()`.
 */

/** The built-in demo server (src/demo/server.ts), as a type only (no load). */
export type DemoServerLike = import('../demo/server.js').DemoServer;

/** Options of `runTui` (src/ui/run.tsx): the runtime plus the UI options of the config's `ui` section. */
export type TuiRunOptions = import('../ui/run.js').RunTuiOptions;

/** The runtime module (src/core/runtime/). */
export function loadRuntime(): Promise<typeof import('../core/runtime/index.js')> {
  return import('../core/runtime/index.js');
}

/** The TUI entry (src/ui/run.tsx); loads Ink and React. */
export function loadUi(): Promise<typeof import('../ui/run.js')> {
  return import('../ui/run.js');
}

/** The demo server (src/demo/server.ts). */
export function loadDemo(): Promise<typeof import('../demo/server.js')> {
  return import('../demo/server.js');
}

/** Throws UsageError unless stdin and stdout are terminals (the full-screen UI needs both). */
export function requireTty(): void {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new UsageError('the chat window needs a terminal (stdin and stdout are not a TTY); use chat-tui tail/send/history/rooms instead');
  }
}

/**
 * The per-room scrollback limit (messages kept in memory: a bounded scrollback) from the config's
 * `ui.scrollback`: an integer ≥ 100, else undefined (the store's default, 10,000).
 */
export function scrollbackFrom(ui: Record<string, unknown>): number | undefined {
  const n = ui.scrollback;
  return typeof n === 'number' && Number.isInteger(n) && n >= 100 ? n : undefined;
}

/** Picks the known UI options out of the config's `ui` section, ignoring values of the wrong type. */
export function uiOptionsFrom(ui: Record<string, unknown>): Omit<TuiRunOptions, 'runtime'> {
  const o: Omit<TuiRunOptions, 'runtime'> = {};
  if (typeof ui.timeFormat === 'string') o.timeFormat = ui.timeFormat;
  if (typeof ui.bell === 'boolean') o.bell = ui.bell;
  if (typeof ui.mouse === 'boolean') o.mouse = ui.mouse;
  if (typeof ui.notify === 'boolean') o.notify = ui.notify;
  if (ui.keys && typeof ui.keys === 'object' && !Array.isArray(ui.keys)) {
    const keys: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(ui.keys)) {
      if (typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'))) keys[k] = v as string | string[];
    }
    o.keys = keys;
  }
  return o;
}
