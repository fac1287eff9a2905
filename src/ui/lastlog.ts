import type { MessageEvent } from '../core/events.js';
import type { UiSnapshot } from './types.js';

/**
 * `/lastlog TEXT`: the loaded messages of room `key` that contain every word of `query`
 * (case-insensitive), newest first, at most `limit`, as message events (the shape the search overlay
 * lists). Deleted messages and gap markers are left out. The archive's `/search` covers the rest.
 */
export function lastlogHits(snap: UiSnapshot, key: string, query: string, limit = 200): MessageEvent[] {
  const r = snap.rooms[key];
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!r || words.length === 0) return [];
  const out: MessageEvent[] = [];
  for (let i = r.messages.length - 1; i >= 0 && out.length < limit; i--) {
    const m = r.messages[i]!;
    if (m.deleted || m.kind === 'gap') continue;
    const text = m.text.toLowerCase();
    if (!words.every((w) => text.includes(w))) continue;
    out.push({ type: 'message', profile: r.profile, room: r.id, id: m.id, author: m.author, text: m.text, time: new Date(m.ts).toISOString() });
  }
  return out;
}
