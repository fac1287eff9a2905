import './production.js';
import module from 'node:module';
import { render } from 'ink';
import { createElement } from 'react';
import { App } from './App.js';
import { roomKeysInOrder, roomListItems } from './components/RoomList.js';
import { UiContext, type UiContextValue } from './context.js';
import { MOUSE_OFF } from './hooks/useMouse.js';
import { FOCUS_OFF } from './hooks/useTerminalFocus.js';
import { makeTheme } from './theme.js';
import { startRoom } from './room-order.js';
import type { UiMemory, UiOptions, UiRuntime } from './types.js';

/** Options of `runTui`: the runtime plus the UI options (config `ui` section, `--mouse`). */
export interface RunTuiOptions extends UiOptions {
  runtime: UiRuntime;
  /** Longest wait for the first room's messages before the first frame, ms (default {@link FIRST_FRAME_WAIT_MS}). */
  firstFrameWaitMs?: number;
}

/** Default longest wait for the first room's messages before the first frame (ms). */
export const FIRST_FRAME_WAIT_MS = 400;

/** A runtime that reports every event after applying it to the store (ChatRuntime `onEvent`). */
interface EventSource {
  onEvent(listener: () => void): () => void;
}

/**
 * The room the App shows first (useActiveRoom picks the same): the remembered last room when it
 * exists, else the first room of a healthy profile in the room list's (remembered) order.
 */
export function firstRoomKey(store: UiRuntime['store'], memory: UiMemory = {}): string | undefined {
  const s = store.getState();
  return startRoom(s, roomKeysInOrder(roomListItems(s, memory.roomOrder)), memory.lastRoom);
}

/**
 * Resolves when the room the App shows first has something to show, or will not have it soon: it has
 * messages; its first history page came back (even empty); its profile failed or the service has no
 * history; there is no room and every profile has settled; or after `capMs` (ms). While it waits it asks
 * for that room's first history page as soon as the profile is connected — the request the message pane
 * makes on its first render anyway (`loadOlder` does nothing while a load runs) — so that the first
 * frame shows the conversation rather than "loading messages…" and one frame later the messages
 * (bench `startup_ms`: spawn → first frame with messages). Never rejects.
 */
export function firstRoomReady(runtime: UiRuntime, capMs: number, memory: UiMemory = {}): Promise<void> {
  const store = runtime.store;
  return new Promise<void>((resolve) => {
    let requested: string | undefined;
    let done = false;
    let unsubscribe: (() => void) | undefined;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe?.();
      resolve();
    };
    const check = (): void => {
      if (done) return;
      const s = store.getState();
      const profiles = Object.values(s.profiles);
      const key = firstRoomKey(store, memory);
      const room = key ? s.rooms[key] : undefined;
      if (!key || !room) {
        if (profiles.every((p) => p.state === 'connected' || p.state === 'failed')) finish();
        return;
      }
      const profile = s.profiles[room.profile];
      if (room.messages.length > 0 || !profile || profile.state === 'failed') return finish();
      if (profile.state !== 'connected') return;
      if (!profile.capabilities.history || !room.hasMoreHistory) return finish();
      if (requested === key || room.loadingHistory) return;
      requested = key;
      runtime.loadOlder(key).then(finish, finish);
    };
    const timer = setTimeout(finish, Math.max(0, capMs));
    // The store tells its subscribers at most once per frame; the runtime's event hook (ChatRuntime
    // `onEvent`, when the runtime has one) runs right after each event is applied, so the history
    // request goes out the moment the profile connects, ahead of the connector's own requests.
    const offStore = store.subscribe(check);
    const offEvents = (runtime as Partial<EventSource>).onEvent?.(() => check());
    unsubscribe = () => {
      offStore();
      offEvents?.();
    };
    check();
  });
}

/** Exit codes for signals: 128 + signal number. */
const SIGNAL_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/** How long `runtime.stop()` may take on the way out before we leave anyway (ms). */
const STOP_TIMEOUT_MS = 3000;

/**
 * Runs the full-screen TUI until the user quits; returns the exit code (0 quit/Ctrl-C, 1 crash,
 * 128+n for SIGTERM/SIGHUP/SIGINT). Source: api.md `runTui`, ../shared/notes/stack.md §3b/§6.
 *
 * - Ink in the alternate screen (incremental line updates, at most 30 frames/s), `interactive` from `stdout.isTTY` (Ink treats CI=true as
 *   non-interactive and would draw nothing), Ctrl-C handled by the App (exitOnCtrlC false),
 *   console not patched.
 * - The terminal is restored on every exit path: quit keys unmount Ink; a render error rejects
 *   `waitUntilExit` (caught → exit 1 with the message on stderr after the screen is restored);
 *   SIGTERM/SIGHUP/SIGINT and uncaught exceptions unmount first, then we return.
 * - `runtime.start()` runs in the background (a failing profile becomes a notice, never throws), begun
 *   before the first frame, which waits (at most `firstFrameWaitMs`) for the first room's messages
 *   ({@link firstRoomReady}) — or, when the archive has already filled that room, right after the first
 *   frame; `runtime.stop()` runs on the way out.
 * Throws nothing; errors end as exit code 1 with one line on stderr.
 */
export async function runTui(opts: RunTuiOptions): Promise<number> {
  const { runtime, firstFrameWaitMs = FIRST_FRAME_WAIT_MS, ...options } = opts;
  // Read the memory once: the first frame's wait and the App start on the same room.
  const remembered = options.memory?.load() ?? {};
  if (options.memory) {
    const store = options.memory;
    options.memory = { load: () => remembered, save: (m) => store.save(m) };
  }
  const theme = makeTheme();
  const ctx: UiContextValue = { runtime, store: runtime.store, options, theme };
  let code = 0;
  let crash: unknown;
  // Connect first, and draw the first frame once the first room has its messages (or after a short wait).
  // When the archive has already filled the first room, the first frame comes first and the connecting
  // (the first fetch alone sets up Node's HTTP client: ~20-40 ms) right after it.
  const firstKey = firstRoomKey(runtime.store, remembered);
  const archived = firstKey !== undefined && (runtime.store.getState().rooms[firstKey]?.messages.length ?? 0) > 0;
  let stopping = false;
  const start = (): void => {
    if (!stopping) void runtime.start().catch(() => undefined);
  };
  if (!archived) start();
  await firstRoomReady(runtime, firstFrameWaitMs, remembered);
  // No JSX in this file: the JSX runtime import would load React before ./production.js runs.
  const tree = () => createElement(UiContext, { value: ctx }, createElement(App, { onExit: (c: number) => (code = c) }));
  // Raw mode before the first frame: Ink switches it on from the input hook's effect, which ran ~100 ms
  // after the first frame was on screen here (measured with stty in tmux); a Ctrl-C typed in that gap
  // reached the terminal driver as SIGINT (exit 130, not a quit) and other keys were echoed. Keys typed
  // now wait in stdin until Ink reads them; Ink turns raw mode off at unmount, and Node restores the
  // terminal's mode at exit on every path.
  if (process.stdin.isTTY) process.stdin.setRawMode(true);
  const instance = render(
    tree(),
    {
      alternateScreen: true,
      interactive: Boolean(process.stdout.isTTY),
      exitOnCtrlC: false,
      patchConsole: false,
      maxFps: 30,
      // Only changed lines are rewritten: a keystroke writes the composer row, not the whole screen
      // (keypress latency: bench keypress_ms p99 went from ~40–58 ms to ~21–35 ms here).
      incrementalRendering: true,
    },
  );
  if (archived) setImmediate(start);
  // Ctrl-L: erase the screen (and the terminal's scrollback of it), forget the frame Ink thinks is on
  // it, and render again, so the next frame is written whole.
  ctx.redraw = () => {
    if (process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[3J\x1b[H');
    instance.clear();
    instance.rerender(tree());
  };
  // The compile cache (bin/chat-tui.js) is written at exit; a session that ends without one (kill -9,
  // a closed terminal) would leave the next start uncached. Write it once the first frame is out
  // (~30 ms the very first time, under 1 ms once cached).
  setImmediate(() => {
    try {
      (module as { flushCompileCache?: () => void }).flushCompileCache?.();
    } catch {
      // only a slower next start
    }
  });
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
  stopping = true;
  // A signal while stopping (a second Ctrl-C once the terminal is back in cooked mode, a SIGTERM) must
  // not end the process by default before the archive's last batch is written: the stop is bounded
  // (STOP_TIMEOUT_MS) and the exit code stays the one of how the TUI ended.
  const whileStopping = (): void => undefined;
  for (const s of signals) process.on(s, whileStopping);
  try {
    await Promise.race([
      runtime.stop().catch(() => undefined),
      new Promise((r) => setTimeout(r, STOP_TIMEOUT_MS).unref()),
    ]);
  } finally {
    for (const s of signals) process.removeListener(s, whileStopping);
  }
  if (crash !== undefined) {
    const msg = crash instanceof Error ? crash.message : String(crash);
    process.stderr.write(`chat-tui: crashed: ${msg.split('\n')[0]}\n`);
  }
  return code;
}
