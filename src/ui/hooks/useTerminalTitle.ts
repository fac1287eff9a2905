import { useStdout } from 'ink';
import { useEffect } from 'react';
import { sanitizeLine } from '../../core/sanitize.js';
import type { UiSnapshot } from '../types.js';
import { useStore } from './useStore.js';

/**
 * The terminal title for the shown room and the activity elsewhere: `chat-tui — #general (2, @1)`,
 * 2 being the other rooms with unread messages and @1 the mentions waiting in them (each left out
 * when 0). `app` is the title's first word (`UiOptions.title`). Remote names are sanitised to one line.
 */
export function terminalTitle(snap: UiSnapshot, activeKey: string | undefined, app = 'chat-tui'): string {
  let unreadRooms = 0;
  let mentions = 0;
  for (const [k, r] of Object.entries(snap.rooms)) {
    if (k === activeKey) continue;
    if (r.unread > 0) unreadRooms++;
    mentions += r.mentions;
  }
  const room = activeKey ? snap.rooms[activeKey] : undefined;
  const activity = [unreadRooms ? String(unreadRooms) : '', mentions ? `@${mentions}` : ''].filter(Boolean).join(', ');
  const name = room ? `#${sanitizeLine(room.name || room.id).replace(/^#/, '')}` : '';
  return sanitizeLine([app, name && `— ${name}`, activity && `(${activity})`].filter(Boolean).join(' ')).slice(0, 200);
}

/**
 * Keeps the terminal title (OSC 2) on {@link terminalTitle}: the title before ours is pushed on the
 * terminal's title stack at start (XTWINOPS 22) and popped back at unmount (23).
 */
export function useTerminalTitle(activeKey: string | undefined, app?: string): void {
  const { stdout } = useStdout();
  const title = useStore((s) => terminalTitle(s, activeKey, app));
  useEffect(() => {
    stdout.write('\u001b[22;0t');
    return () => void stdout.write('\u001b[23;0t');
  }, [stdout]);
  useEffect(() => {
    stdout.write(`\u001b]2;${title}\u001b\\`); // ST, not BEL: a BEL is the bell to whoever counts them
  }, [stdout, title]);
}
