import { Box, Text } from 'ink';
import { sanitizeLine } from '../../core/sanitize.js';
import { memo } from 'react';
import type { ConnectionState } from '../../core/events.js';
import { useUi } from '../context.js';
import { connectionMarker } from '../format.js';
import { useStore } from '../hooks/useStore.js';
import type { UiSnapshot } from '../types.js';
import { orderRooms } from '../room-order.js';
import { cellWidth, pad, truncate } from '../wrap.js';

/** One row of the room list: a profile header or a room. */
export type RoomListItem =
  | { type: 'profile'; name: string; state: ConnectionState }
  | { type: 'room'; key: string; profile: string; name: string; unread: number; mentions: number; n: number };

/**
 * The room list's rows from a snapshot ("rooms grouped by profile, unread count, mention
 * marker, connection state"): rooms in the remembered `order` (room-order.ts; else the store's
 * `roomOrder`), a header before each profile's first room, profiles without rooms still listed (so a
 * failed profile is visible), and each room numbered 1… in list order (Alt-1 … Alt-9 and /move).
 */
export function roomListItems(s: UiSnapshot, order?: readonly string[]): RoomListItem[] {
  const out: RoomListItem[] = [];
  const seen = new Set<string>();
  const byProfile = new Map<string, string[]>();
  let n = 0;
  for (const key of orderRooms(s.roomOrder, order)) {
    const r = s.rooms[key];
    if (!r) continue;
    const list = byProfile.get(r.profile) ?? [];
    list.push(key);
    byProfile.set(r.profile, list);
  }
  const profiles = [...byProfile.keys(), ...Object.keys(s.profiles).filter((p) => !byProfile.has(p))];
  for (const p of profiles) {
    if (seen.has(p)) continue;
    seen.add(p);
    out.push({ type: 'profile', name: p, state: s.profiles[p]?.state ?? 'connecting' });
    for (const key of byProfile.get(p) ?? []) {
      const r = s.rooms[key];
      if (r) out.push({ type: 'room', key, profile: p, name: sanitizeLine(r.name || r.id), unread: r.unread, mentions: r.mentions, n: ++n });
    }
  }
  return out;
}

function itemsEqual(a: RoomListItem[], b: RoomListItem[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (!x || !y || x.type !== y.type) return false;
    if (x.type === 'profile' && y.type === 'profile') {
      if (x.name !== y.name || x.state !== y.state) return false;
    } else if (x.type === 'room' && y.type === 'room') {
      if (x.key !== y.key || x.name !== y.name || x.unread !== y.unread || x.mentions !== y.mentions || x.n !== y.n) return false;
    }
  }
  return true;
}

/** Keys of the rooms in list order (room switching order). */
export function roomKeysInOrder(items: RoomListItem[]): string[] {
  return items.flatMap((i) => (i.type === 'room' ? [i.key] : []));
}

/**
 * Formats one room row to exactly `width` cells (plain text; markers, not colours, carry meaning):
 * `› 2 #random  12` — active marker, the room's number right-aligned to `numW` digits, name, badge.
 */
export function roomRowText(item: Extract<RoomListItem, { type: 'room' }>, width: number, active: boolean, numW = String(item.n).length): string {
  const badge = item.mentions > 0 ? `@${item.mentions}` : item.unread > 0 ? String(item.unread > 999 ? '999+' : item.unread) : '';
  const lead = `${active ? '›' : ' '} ${String(item.n).padStart(numW)} `;
  const nameW = Math.max(1, width - cellWidth(lead) - (badge ? cellWidth(badge) + 1 : 0));
  const name = pad(truncate(`#${item.name}`, nameW), nameW);
  return `${lead}${name}${badge ? ` ${badge}` : ''}`;
}

/** The rows of the list that fit `height`, scrolled so the active room is visible; `start` = index of the first. */
export function roomListWindow(items: RoomListItem[], height: number, activeKey: string | undefined): { start: number; visible: RoomListItem[] } {
  const activeIdx = items.findIndex((i) => i.type === 'room' && i.key === activeKey);
  let start = 0;
  if (items.length > height && activeIdx >= 0) start = Math.min(Math.max(0, activeIdx - Math.floor(height / 2)), items.length - height);
  return { start, visible: items.slice(start, start + height) };
}

/** Props: the list's size, the room shown and the remembered room order. */
export interface RoomListProps {
  width: number;
  height: number;
  activeKey: string | undefined;
  order?: readonly string[];
}

/**
 * The room list (left column). Scrolls so the active room is always visible. Re-renders only when a
 * room's name/unread/mentions or a profile's state changes (not on every message or typing event).
 */
export const RoomList = memo(function RoomList({ width, height, activeKey, order }: RoomListProps) {
  const { theme } = useUi();
  const items = useStore((s) => roomListItems(s, order), itemsEqual);
  const numW = String(items.reduce((n, it) => (it.type === 'room' ? it.n : n), 0)).length;
  const inner = Math.max(4, width - 1);
  const { visible } = roomListWindow(items, height, activeKey);
  return (
    <Box width={width} height={height} flexDirection="column" borderStyle="single" borderTop={false} borderBottom={false} borderLeft={false} borderDimColor>
      {visible.map((it) => {
        if (it.type === 'profile') {
          const mark = connectionMarker(it.state);
          const color = it.state === 'connected' ? 'green' : it.state === 'failed' ? 'red' : 'yellow';
          const label = truncate(`${it.name} ${it.state === 'connected' ? '' : it.state}`.trim(), inner - 2);
          return (
            <Text key={`p:${it.name}`} wrap="truncate">
              <Text {...theme.fg(color)}>{mark}</Text>
              <Text bold> {label}</Text>
            </Text>
          );
        }
        const active = it.key === activeKey;
        const text = roomRowText(it, inner, active, numW);
        return (
          <Text key={it.key} wrap="truncate" inverse={active} bold={it.unread > 0 || it.mentions > 0} {...theme.fg(it.mentions > 0 && !active ? 'yellow' : undefined)}>
            {text}
          </Text>
        );
      })}
    </Box>
  );
});
