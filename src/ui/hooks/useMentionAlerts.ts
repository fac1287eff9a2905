import { useStdout } from 'ink';
import { useEffect } from 'react';
import type { MutableRefObject } from 'react';
import { sanitizeLine } from '../../core/sanitize.js';
import type { UiOptions, UiStore } from '../types.js';
import { useTerminalFocus } from './useTerminalFocus.js';

/**
 * Mention alerts: the bell (`ui.bell`, on by default) and, opt-in (`notify`), a desktop notification
 * through the terminal (OSC 9) on a new mention in a room that is not shown, or in the shown room
 * while the terminal is not focused (focus reporting). Notification text is sanitized, without `;`,
 * at most 200 characters.
 */
export function useMentionAlerts(store: UiStore, options: Pick<UiOptions, 'bell' | 'notify'>, activeRef: MutableRefObject<string | undefined>): void {
  const { stdout: out } = useStdout();
  const alerts = options.bell !== false || options.notify === true;
  const focused = useTerminalFocus(alerts);
  useEffect(() => {
    const bell = options.bell !== false;
    const notifyDesktop = options.notify === true;
    if (!bell && !notifyDesktop) return;
    const seen = new Map<string, number>();
    for (const [k, r] of Object.entries(store.getState().rooms)) seen.set(k, r.mentions);
    let lastRooms: unknown;
    let shown: { key: string | undefined; lastId: string | undefined } = { key: undefined, lastId: undefined };
    return store.subscribe(() => {
      const s = store.getState();
      if (s.rooms === lastRooms) return;
      lastRooms = s.rooms;
      const hits: { key: string; text: string | undefined }[] = [];
      for (const [k, r] of Object.entries(s.rooms)) {
        const before = seen.get(k) ?? 0;
        if (r.mentions > before && k !== activeRef.current) hits.push({ key: k, text: undefined });
        seen.set(k, r.mentions);
      }
      // The shown room: its counters stay 0, so look at the messages that arrived since last time.
      const key = activeRef.current;
      const room = key ? s.rooms[key] : undefined;
      const newest = room?.messages[room.messages.length - 1];
      if (room && shown.key === key && newest && newest.id !== shown.lastId && !focused.current) {
        for (let i = room.messages.length - 1; i >= Math.max(0, room.messages.length - 50); i--) {
          const m = room.messages[i];
          if (!m || m.id === shown.lastId) break;
          if (m.mention && m.status === 'sent') {
            hits.push({ key: room.key, text: `${m.author.name}: ${m.text}` });
            break;
          }
        }
      }
      shown = { key, lastId: newest?.id };
      if (hits.length === 0) return;
      if (bell) out.write('\u0007');
      if (notifyDesktop) {
        for (const h of hits) {
          const r = s.rooms[h.key];
          if (!r) continue;
          let text = h.text;
          for (let i = r.messages.length - 1; text === undefined && i >= Math.max(0, r.messages.length - 50); i--) {
            const m = r.messages[i];
            if (m?.mention) text = `${m.author.name}: ${m.text}`;
          }
          const line = sanitizeLine(`#${r.name}: ${text ?? 'you were mentioned'}`).replace(/;/g, ',').slice(0, 200);
          out.write(`\u001b]9;${line}\u0007`);
        }
      }
    });
  }, [store, out, options.bell, options.notify, focused, activeRef]);
}
