import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { NamedProfile, Profile } from '../core/profile.js';
import { ChatError, UsageError } from '../core/errors.js';

/**
 * Lazy loading of the heavy parts (Ink/React TUI, runtime, demo server): the headless commands never load
 * them (stack.md §4: Ink costs ~140 ms at start). The modules are found next to this file's directory
 * (`dist/…` when built, `src/…` under tsx) and imported with `import()`.
 * The shapes below are the agreed API (brief api.md); they are declared here so the CLI compiles even while
 * those modules are being written.
 */

/** The built-in demo server (src/demo/server.ts). */
export interface DemoServerLike {
  url: string;
  port: number;
  token: string;
  userId: string;
  userName: string;
  rooms: string[];
  close(): Promise<void>;
}

/** Options of `new ChatRuntime(…)` (src/core/runtime.ts) that the CLI passes. */
export interface RuntimeOptionsLike {
  profiles: NamedProfile[];
  resolveToken(p: NamedProfile): Promise<string | undefined>;
  saveProfile(name: string, patch: Partial<Profile>): Promise<void>;
  stateDir?: string;
}

/** What the CLI uses of a ChatRuntime. */
export interface RuntimeLike {
  start(): Promise<void>;
  stop(): Promise<void>;
}

interface RuntimeModule {
  ChatRuntime: new (opts: RuntimeOptionsLike) => RuntimeLike;
}
/** Options of `runTui` (src/ui/run.tsx): the runtime plus the UI options of the config's `ui` section. */
export interface TuiRunOptions {
  runtime: RuntimeLike;
  mouse?: boolean;
  title?: string;
  timeFormat?: string;
  bell?: boolean;
  keys?: Record<string, string | string[]>;
}
interface UiModule {
  runTui(opts: TuiRunOptions): Promise<number>;
}
interface DemoModule {
  startDemoServer(opts?: { port?: number; host?: string; pace?: number }): Promise<DemoServerLike>;
}

/** Imports `rel` (a path like `../ui/run.js`, relative to src/cli or dist/cli) when it exists. */
async function load<T>(rel: string, what: string): Promise<T> {
  const url = new URL(rel, import.meta.url);
  const file = fileURLToPath(url);
  const candidates = [file, file.replace(/\.js$/, '.ts'), file.replace(/\.js$/, '.tsx')];
  if (!candidates.some((f) => fs.existsSync(f))) {
    throw new ChatError('protocol', `${what} is not part of this build`);
  }
  return (await import(url.href)) as T;
}

/** The runtime module (src/core/runtime.ts). */
export function loadRuntime(): Promise<RuntimeModule> {
  return load<RuntimeModule>('../core/runtime.js', 'the chat runtime');
}

/** The TUI entry (src/ui/run.tsx). */
export function loadUi(): Promise<UiModule> {
  return load<UiModule>('../ui/run.js', 'the terminal UI');
}

/** The demo server (src/demo/server.ts). */
export function loadDemo(): Promise<DemoModule> {
  return load<DemoModule>('../demo/server.js', 'the demo server');
}

/** Throws UsageError unless stdin and stdout are terminals (the full-screen UI needs both). */
export function requireTty(): void {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new UsageError('the chat window needs a terminal (stdin and stdout are not a TTY); use chat-tui tail/send/history/rooms instead');
  }
}

/** Picks the known UI options out of the config's `ui` section, ignoring values of the wrong type. */
export function uiOptionsFrom(ui: Record<string, unknown>): Omit<TuiRunOptions, 'runtime'> {
  const o: Omit<TuiRunOptions, 'runtime'> = {};
  if (typeof ui.timeFormat === 'string') o.timeFormat = ui.timeFormat;
  if (typeof ui.bell === 'boolean') o.bell = ui.bell;
  if (typeof ui.mouse === 'boolean') o.mouse = ui.mouse;
  if (ui.keys && typeof ui.keys === 'object' && !Array.isArray(ui.keys)) {
    const keys: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(ui.keys)) {
      if (typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'))) keys[k] = v as string | string[];
    }
    o.keys = keys;
  }
  return o;
}
