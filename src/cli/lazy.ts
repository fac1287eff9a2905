import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { NamedProfile, Profile } from '../core/profile.js';
import { ChatError } from '../core/errors.js';

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
interface UiModule {
  runTui(opts: { runtime: RuntimeLike; mouse?: boolean; title?: string }): Promise<number>;
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
