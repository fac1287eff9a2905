/** @jsxRuntime automatic */
/** @jsxImportSource react */
import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { render } from 'ink';
import type { ReactNode } from 'react';
import { App } from '../../src/ui/App.js';
import { UiContext } from '../../src/ui/context.js';
import { makeTheme } from '../../src/ui/theme.js';
import type { UiOptions, UiRuntime } from '../../src/ui/types.js';

/**
 * A sized fake terminal for Ink component tests (../shared/notes/stack.md §3a: ink-testing-library's
 * stdout is fixed at 100 columns; this one has rows/columns and emits `resize`).
 */
class FakeStdout extends EventEmitter {
  frames: string[] = [];
  raw: string[] = [];
  isTTY = true;
  constructor(public columns: number, public rows: number) {
    super();
  }
  write = (s: string, enc?: unknown, cb?: unknown): boolean => {
    const done = typeof enc === 'function' ? enc : cb;
    if (typeof done === 'function') queueMicrotask(done as () => void);
    this.raw.push(s);
    // Terminal mode switches (bracketed paste on/off, cursor) and OSC strings (title, clipboard) are not frames.
    if (!/^(\x1b\[[0-9;?]*[a-zA-Z]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x07)+$/.test(s)) this.frames.push(s);
    return true;
  };
  lastFrame(): string {
    return this.frames[this.frames.length - 1] ?? '';
  }
}

class FakeStdin extends EventEmitter {
  isTTY = true;
  private queue: string[] = [];
  write(data: string): void {
    this.queue.push(data);
    this.emit('readable');
    this.emit('data', data);
  }
  read = (): string | null => this.queue.shift() ?? null;
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

/** Strips SGR/escape codes so frames can be compared as text. */
export function plain(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/\x1b\][^\x07]*\x07/g, '');
}

/** A mounted UI with a sized terminal. `frame()` is the last frame as plain text. */
export interface Mounted {
  stdout: FakeStdout;
  stdin: FakeStdin;
  frame(): string;
  lines(): string[];
  /** Raw output (frames and terminal mode switches). */
  output(): string;
  /** Writes raw input (keys) and lets React settle. */
  press(...keys: string[]): Promise<void>;
  /** Simulates a bracketed paste. */
  paste(text: string): Promise<void>;
  resize(columns: number, rows: number): Promise<void>;
  waitFor(pred: (frame: string) => boolean, what?: string, ms?: number): Promise<string>;
  unmount(): void;
  exited: Promise<unknown>;
  exitCode(): number | undefined;
}

/** Mounts `node` (default: the App) with the runtime in context on a `columns`×`rows` fake terminal. */
export async function mount(runtime: UiRuntime, opts: { columns?: number; rows?: number; options?: UiOptions; node?: ReactNode; noColor?: boolean; hyperlinks?: boolean; redraw?: () => void } = {}): Promise<Mounted> {
  const stdout = new FakeStdout(opts.columns ?? 100, opts.rows ?? 30);
  const stdin = new FakeStdin();
  let code: number | undefined;
  const theme = makeTheme({ noColor: opts.noColor ?? false, level: opts.noColor ? 0 : 1, hyperlinks: opts.hyperlinks ?? false });
  const inst = render(
    <UiContext value={{ runtime, store: runtime.store, options: opts.options ?? {}, theme, ...(opts.redraw ? { redraw: opts.redraw } : {}) }}>
      {opts.node ?? <App onExit={(c) => (code = c)} />}
    </UiContext>,
    { stdout: stdout as never, stdin: stdin as never, stderr: new FakeStdout(100, 30) as never, debug: true, exitOnCtrlC: false, patchConsole: false },
  );
  // Lets React and Ink settle: at least 30 ms, then until no output came for 60 ms (at most 1.5 s).
  const settle = async (): Promise<void> => {
    const end = Date.now() + 1500;
    await delay(30);
    let n = stdout.raw.length;
    while (Date.now() < end) {
      await delay(60);
      if (stdout.raw.length === n) return;
      n = stdout.raw.length;
    }
  };
  await delay(60);
  const frame = (): string => plain(stdout.lastFrame());
  const m: Mounted = {
    stdout,
    stdin,
    frame,
    lines: () => frame().split('\n'),
    output: () => stdout.raw.join(''),
    async press(...keys) {
      for (const k of keys) {
        stdin.write(k);
        await settle();
      }
    },
    async paste(text) {
      stdin.write(`\x1b[200~${text}\x1b[201~`);
      await settle();
    },
    async resize(columns, rows) {
      stdout.columns = columns;
      stdout.rows = rows;
      stdout.emit('resize');
      await settle();
    },
    async waitFor(pred, what = 'condition', ms = 3000) {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const f = frame();
        if (pred(f)) return f;
        await delay(10);
      }
      throw new Error(`timed out waiting for ${what}; last frame:\n${frame()}`);
    },
    unmount() {
      inst.unmount();
      inst.cleanup();
    },
    exited: inst.waitUntilExit(),
    exitCode: () => code,
  };
  return m;
}

/** Common key sequences. */
export const KEY = {
  enter: '\r',
  altEnter: '\x1b\r',
  up: '\x1b[A',
  down: '\x1b[B',
  left: '\x1b[D',
  right: '\x1b[C',
  altUp: '\x1b[1;3A',
  altDown: '\x1b[1;3B',
  pageUp: '\x1b[5~',
  pageDown: '\x1b[6~',
  home: '\x1b[H',
  end: '\x1b[F',
  ctrlHome: '\x1b[1;5H',
  ctrlEnd: '\x1b[1;5F',
  delete: '\x1b[3~',
  backspace: '\x7f',
  tab: '\t',
  escape: '\x1b',
  f1: '\x1bOP',
  f2: '\x1bOQ',
  f3: '\x1bOR',
  f5: '\x1b[15~',
  ctrl: (c: string): string => String.fromCharCode(c.toLowerCase().charCodeAt(0) - 96),
  alt: (c: string): string => `\x1b${c}`,
};
