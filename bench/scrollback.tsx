/** @jsxRuntime automatic */
/** @jsxImportSource react */
/**
 * scrollback_frame_ratio (issue 8): the time of one frame of the TUI's MessagePane with 100,000
 * messages in the room ÷ with 100, in process, with the real SessionStore (scrollback limit raised so
 * the room really holds 100k) and Ink rendering to a 120×40 fake terminal.
 *
 * One frame = a new message applied to the store → the frame written to the terminal (React update of
 * the pane through its store subscription, Ink layout and output). The two panes are mounted side by
 * side and measured alternately so drift hits both equally; the figure is the ratio of medians.
 */
import { EventEmitter } from 'node:events';
import { render } from 'ink';
import { SessionStore } from '../src/core/store/index.js';
import { roomKey } from '../src/core/state.js';
import type { Capabilities } from '../src/core/connector.js';
import type { MessageEvent } from '../src/core/events.js';
import { MessagePane } from '../src/ui/components/MessagePane.js';
import { UiContext } from '../src/ui/context.js';
import { makeTheme } from '../src/ui/theme.js';
import type { UiRuntime } from '../src/ui/types.js';
import { median } from './lib/stats.js';
import { targetOf } from './lib/report.js';
import type { TuiBenchContext } from './tui.js';

/** A fake TTY of a fixed size that timestamps writes. */
class Terminal extends EventEmitter {
  isTTY = true;
  lastWriteAt = 0;
  writes = 0;
  private waiter: ((at: number) => void) | undefined;
  constructor(public columns: number, public rows: number) {
    super();
  }
  write = (_s: string): boolean => {
    const at = performance.now();
    this.lastWriteAt = at;
    this.writes++;
    const w = this.waiter;
    this.waiter = undefined;
    w?.(at);
    return true;
  };
  /** Resolves with the time of the next write. */
  nextWrite(): Promise<number> {
    return new Promise((r) => (this.waiter = r));
  }
}

const CAPS: Capabilities = {
  history: false, typingSend: false, typingReceive: true, presence: false, edits: true,
  roomListing: false, dms: false, join: false, readOnly: false, moderation: false, atMentions: true,
};

function message(i: number): MessageEvent {
  const u = i % 20;
  return {
    type: 'message',
    profile: 'bench',
    room: 'r',
    id: `m${i}`,
    author: { id: `user_${u}`, name: `User ${u}` },
    text: `message ${i} from the bench: the quick brown fox jumps over the lazy dog${i % 7 === 0 ? ' and keeps running far enough that this line has to wrap onto a second row of the pane' : ''}`,
    time: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
  };
}

/** A store holding `n` messages in room `r` of profile `bench` (notifications synchronous). */
function filledStore(n: number): SessionStore {
  const store = new SessionStore({ scrollbackLimit: Math.max(n, 100) + 10_000, notifyIntervalMs: 0 });
  store.addProfile('bench', 'chatapi', CAPS);
  store.addRoom('bench', { id: 'r', name: 'bench' });
  for (let i = 0; i < n; i++) store.apply(message(i));
  store.setActiveRoom(roomKey('bench', 'r'));
  return store;
}

function stubRuntime(store: SessionStore): UiRuntime {
  const no = (): never => {
    throw new Error('not in the bench');
  };
  return {
    store,
    start: async () => undefined,
    stop: async () => undefined,
    send: no,
    retry: () => false,
    discard: () => false,
    capabilities: () => CAPS,
    reconnectNow: () => undefined,
    loadOlder: async () => undefined,
    setTyping: () => undefined,
    join: no,
    part: no,
    dm: no,
    moderate: no,
  };
}

interface Mounted {
  store: SessionStore;
  term: Terminal;
  next: number;
  unmount(): void;
}

function mountPane(n: number): Mounted {
  const store = filledStore(n);
  const term = new Terminal(120, 40);
  const theme = makeTheme({ noColor: false, level: 1 });
  const inst = render(
    <UiContext value={{ runtime: stubRuntime(store), store, options: {}, theme }}>
      <MessagePane roomKey={roomKey('bench', 'r')} width={96} height={36} scroll={{ pos: null }} canLoadOlder={false} />
    </UiContext>,
    { stdout: term as never, stdin: new EventEmitter() as never, stderr: new Terminal(120, 40) as never, debug: true, exitOnCtrlC: false, patchConsole: false },
  );
  return {
    store,
    term,
    next: n,
    unmount() {
      inst.unmount();
      inst.cleanup();
    },
  };
}

/** Applies one new message and resolves with ms until the pane's frame was written. */
async function frameTime(m: Mounted): Promise<number> {
  const next = m.term.nextWrite();
  const t0 = performance.now();
  m.store.apply(message(m.next++));
  const at = await Promise.race([next, new Promise<number>((r) => setTimeout(() => r(Number.NaN), 2000))]);
  return at - t0;
}

/** Measures and emits scrollback_frame_ratio. */
export async function benchScrollbackInProcess(c: TuiBenchContext): Promise<void> {
  const small = mountPane(100);
  const big = mountPane(100_000);
  try {
    await new Promise((r) => setTimeout(r, 50));
    const s: number[] = [];
    const b: number[] = [];
    const WARM = 30;
    const N = 200;
    for (let i = 0; i < WARM + N; i++) {
      // Alternate which pane goes first, so neither always runs on a just-warmed path.
      let ts: number;
      let tb: number;
      if (i % 2 === 0) {
        ts = await frameTime(small);
        tb = await frameTime(big);
      } else {
        tb = await frameTime(big);
        ts = await frameTime(small);
      }
      if (i >= WARM) {
        s.push(ts);
        b.push(tb);
      }
    }
    const value = median(b);
    const baseline = median(s);
    c.log(`scrollback: frame ${value.toFixed(3)} ms with 100k vs ${baseline.toFixed(3)} ms with 100 (median of ${N})`);
    c.emit({ name: 'scrollback_frame_ratio', value, unit: 'ms', baseline, ratio: value / baseline, target: targetOf('scrollback_frame_ratio'), note: `median of ${N} frames each, MessagePane 96x36` });
  } finally {
    small.unmount();
    big.unmount();
  }
}
