import './production.js';
import { render } from 'ink';
import { createElement } from 'react';
import { App } from './App.js';
import { UiContext, type UiContextValue } from './context.js';
import { MOUSE_OFF } from './hooks/useMouse.js';
import { FOCUS_OFF } from './hooks/useTerminalFocus.js';
import { makeTheme } from './theme.js';
import type { UiOptions, UiRuntime } from './types.js';

/** Options of `runTui`: the runtime plus the UI options (config `ui` section, `--mouse`). */
export interface RunTuiOptions extends UiOptions {
  runtime: UiRuntime;
}

/** Exit codes for signals: 128 + signal number. */
const SIGNAL_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/** How long `runtime.stop()` may take on the way out before we leave anyway (ms). */
const STOP_TIMEOUT_MS = 3000;

/**
 * Runs the full-screen TUI until the user quits; returns the exit code (0 quit/Ctrl-C, 1 crash,
 * 128+n for SIGTERM/SIGHUP/SIGINT). Source: issue 3 §7, api.md `runTui`, ../shared/notes/stack.md §3b/§6.
 *
 * - Ink in the alternate screen (incremental line updates, at most 30 frames/s), `interactive` from `stdout.isTTY` (Ink treats CI=true as
 *   non-interactive and would draw nothing), Ctrl-C handled by the App (exitOnCtrlC false),
 *   console not patched.
 * - The terminal is restored on every exit path: quit keys unmount Ink; a render error rejects
 *   `waitUntilExit` (caught → exit 1 with the message on stderr after the screen is restored);
 *   SIGTERM/SIGHUP/SIGINT and uncaught exceptions unmount first, then we return.
 * - `runtime.start()` runs in the background (a failing profile becomes a notice, never throws);
 *   `runtime.stop()` runs on the way out.
 * Throws nothing; errors end as exit code 1 with one line on stderr.
 */
export async function runTui(opts: RunTuiOptions): Promise<number> {
  const { runtime, ...options } = opts;
  const theme = makeTheme();
  const ctx: UiContextValue = { runtime, store: runtime.store, options, theme };
  let code = 0;
  let crash: unknown;
  // No JSX in this file: the JSX runtime import would load React before ./production.js runs.
  const instance = render(
    createElement(UiContext, { value: ctx }, createElement(App, { onExit: (c: number) => (code = c) })),
    {
      alternateScreen: true,
      interactive: Boolean(process.stdout.isTTY),
      exitOnCtrlC: false,
      patchConsole: false,
      maxFps: 30,
      // Only changed lines are rewritten: a keystroke writes the composer row, not the whole screen
      // (issue 8 keypress latency; bench keypress_ms p99 went from ~40–58 ms to ~21–35 ms here).
      incrementalRendering: true,
    },
  );
  const unmount = (): void => {
    try {
      instance.unmount();
    } catch {
      /* already unmounted */
    }
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    code = SIGNAL_CODES[sig] ?? 1;
    unmount();
  };
  const onCrash = (err: unknown): void => {
    crash = err;
    code = 1;
    unmount();
  };
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT'];
  for (const s of signals) process.on(s, onSignal);
  process.on('uncaughtException', onCrash);
  void runtime.start().catch(() => undefined);
  try {
    await instance.waitUntilExit();
  } catch (err) {
    crash = err;
    code = 1;
  } finally {
    for (const s of signals) process.removeListener(s, onSignal);
    process.removeListener('uncaughtException', onCrash);
    unmount();
    if (process.stdout.isTTY) process.stdout.write((options.mouse ? MOUSE_OFF : '') + FOCUS_OFF);
  }
  await Promise.race([
    runtime.stop().catch(() => undefined),
    new Promise((r) => setTimeout(r, STOP_TIMEOUT_MS).unref()),
  ]);
  if (crash !== undefined) {
    const msg = crash instanceof Error ? crash.message : String(crash);
    process.stderr.write(`chat-tui: crashed: ${msg.split('\n')[0]}\n`);
  }
  return code;
}
