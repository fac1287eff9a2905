import type { StoredMessage } from '../core/state.js';
import { splitRoomKey } from '../core/state.js';
import type { UiSnapshot } from './types.js';

/**
 * Our own sent messages of the shown room, for `/edit`, `/delete` and Up on an empty composer. A
 * message is ours when its author id is the profile's own user (`ProfileState.me`); only sent, not
 * deleted chat messages count (no pending echoes, notices or gap markers).
 */

/**
 * The newest of our messages in room `key` of `snap`, or with `id` that one (when it is ours).
 * Returns the message, or an error text for the user (no own user known, none loaded).
 */
export function ownMessage(snap: UiSnapshot, key: string, id?: string): StoredMessage | { error: string } {
  const me = snap.profiles[splitRoomKey(key).profile]?.me;
  if (!me?.id) return { error: 'your user on this service is not known yet' };
  const messages = snap.rooms[key]?.messages ?? [];
  const mine = (m: StoredMessage): boolean => m.kind === 'normal' && !m.deleted && m.status === 'sent' && m.author.id === me.id;
  if (id) {
    const m = messages.find((x) => x.id === id);
    return m && mine(m) ? m : { error: 'no loaded message of yours with that id' };
  }
  for (let i = messages.length - 1; i >= 0; i--) if (mine(messages[i]!)) return messages[i]!;
  return { error: 'no message of yours in this room (of what is loaded)' };
}
