import { Box, Text } from 'ink';
import { sanitizeLine } from '../../core/sanitize.js';
import { memo, type Ref, useImperativeHandle, useRef, useState } from 'react';
import type { UserRef } from '../../core/events.js';
import { useUi } from '../context.js';
import { fuzzyFilter } from '../fuzzy.js';
import { useStore } from '../hooks/useStore.js';
import { type KeyEvent, keyId } from '../keys.js';
import { keyLabel } from '../keymap.js';
import { cellWidth, pad, truncate, wrapPlain } from '../wrap.js';

/** Handle of an overlay that takes keys; returns false when the key should close it. */
export interface OverlayHandle {
  handleKey(ev: KeyEvent): void;
}

/**
 * The help overlay's rows for `width` cells: wide, two columns (keys | what they do), each wrapped
 * within its column; below 56 columns each entry on its own rows (keys, then the text indented).
 * Nothing is cut: a long line takes more rows.
 */
export function helpRows(lines: readonly [string, string][], width: number): { key: string; k: string; d: string }[] {
  const rows: { key: string; k: string; d: string }[] = [];
  if (width < 56) {
    lines.forEach(([k, d], i) => {
      wrapPlain(k, width).forEach((l, j) => rows.push({ key: `${i}k${j}`, k: l, d: '' }));
      if (d) wrapPlain(d, Math.max(4, width - 2)).forEach((l, j) => rows.push({ key: `${i}d${j}`, k: '', d: `  ${l}` }));
    });
    return rows;
  }
  const keyW = Math.min(38, Math.max(...lines.map(([k]) => cellWidth(k)), 4) + 2);
  const descW = Math.max(8, width - keyW);
  lines.forEach(([k, d], i) => {
    const ks = wrapPlain(k, keyW - 1);
    const ds = d ? wrapPlain(d, descW) : [];
    for (let j = 0; j < Math.max(ks.length, ds.length); j++) rows.push({ key: `${i}.${j}`, k: pad(ks[j] ?? '', keyW), d: ds[j] ?? '' });
  });
  return rows;
}

/** The help overlay: every key and command. Up/Down/PgUp/PgDn scroll it. */
export const HelpOverlay = memo(function HelpOverlay(props: { width: number; height: number; lines: [string, string][]; onClose(): void; ref?: Ref<OverlayHandle> }) {
  const { width, height, lines, onClose, ref } = props;
  const [offset, setOffset] = useState(0);
  const bodyH = Math.max(1, height - 2);
  const rows = helpRows(lines, width);
  const maxOffset = Math.max(0, rows.length - bodyH);
  useImperativeHandle(ref, () => ({
    handleKey(ev) {
      if (ev.name === 'down') setOffset((o) => Math.min(maxOffset, o + 1));
      else if (ev.name === 'up') setOffset((o) => Math.max(0, o - 1));
      else if (ev.name === 'pagedown') setOffset((o) => Math.min(maxOffset, o + bodyH));
      else if (ev.name === 'pageup') setOffset((o) => Math.max(0, o - bodyH));
      else onClose();
    },
  }));
  const off = Math.min(offset, maxOffset);
  return (
    <Box width={width} height={height} flexDirection="column">
      <Text bold wrap="truncate">{truncate('Keys and commands — any other key closes', width)}</Text>
      {rows.slice(off, off + bodyH).map((r) => (
        <Text key={r.key} wrap="truncate">
          <Text bold>{r.k}</Text>
          {r.d}
        </Text>
      ))}
      {maxOffset > 0 ? <Text dimColor wrap="truncate">{truncate(`↑/↓ PgUp/PgDn to scroll (${off + 1}–${Math.min(rows.length, off + bodyH)} of ${rows.length})`, width)}</Text> : null}
    </Box>
  );
});

/** One entry of the room switcher. */
interface SwitchItem {
  key: string;
  label: string;
  unread: number;
  mentions: number;
}

/**
 * The fuzzy room switcher:
 * type to filter, Up/Down (Ctrl-P/Ctrl-N) to select, Enter to open, Esc to close.
 */
export const RoomSwitcher = memo(function RoomSwitcher(props: { width: number; height: number; onPick(key: string): void; onClose(): void; ref?: Ref<OverlayHandle> }) {
  const { width, height, onPick, onClose, ref } = props;
  const { store, theme } = useUi();
  const [query, setQueryState] = useState('');
  const [sel, setSelState] = useState(0);
  // Several keys can arrive in one chunk ("mytho" + Enter typed fast, or over a slow link) and are
  // handled before React renders again: the handler reads and writes the query and the selection
  // through refs, so Enter opens what the keys before it selected, not what the last frame showed.
  const queryRef = useRef('');
  const selRef = useRef(0);
  const setQuery = (q: string): void => {
    queryRef.current = q;
    selRef.current = 0;
    setQueryState(q);
    setSelState(0);
  };
  const setSel = (i: number): void => {
    selRef.current = i;
    setSelState(i);
  };
  const all = (): SwitchItem[] => {
    const s = store.getState();
    const multi = new Set(s.roomOrder.map((k) => s.rooms[k]?.profile)).size > 1;
    return s.roomOrder.flatMap((k) => {
      const r = s.rooms[k];
      return r ? [{ key: k, label: sanitizeLine(`#${r.name || r.id}${multi ? ` [${r.profile}]` : ''}`), unread: r.unread, mentions: r.mentions }] : [];
    });
  };
  useStore((s) => s.roomOrder);
  const items = fuzzyFilter(query, all(), (i) => i.label);
  const cur = Math.min(sel, Math.max(0, items.length - 1));
  useImperativeHandle(ref, () => ({
    handleKey(ev) {
      const k = `${ev.ctrl ? 'C-' : ''}${ev.meta ? 'M-' : ''}${ev.name}`;
      const now = fuzzyFilter(queryRef.current, all(), (i) => i.label);
      const at = Math.min(selRef.current, Math.max(0, now.length - 1));
      if (k === 'escape' || k === 'C-g') onClose();
      else if (k === 'enter') {
        const it = now[at];
        if (it) onPick(it.key);
        else onClose();
      } else if (k === 'up' || k === 'C-p') setSel(Math.max(0, at - 1));
      else if (k === 'down' || k === 'C-n' || k === 'tab') setSel(Math.max(0, Math.min(now.length - 1, at + 1)));
      else if (k === 'backspace') setQuery([...queryRef.current].slice(0, -1).join(''));
      else if (k === 'C-u') setQuery('');
      else if (ev.name === 'text') setQuery(queryRef.current + (ev.text ?? ''));
    },
  }));
  const listH = Math.max(1, height - 2);
  const start = Math.max(0, Math.min(cur - listH + 1, items.length - listH));
  return (
    <Box width={width} height={height} flexDirection="column">
      <Text wrap="truncate">
        <Text bold {...theme.fg('cyan')}>Go to room: </Text>
        {query}
        <Text inverse> </Text>
      </Text>
      {items.slice(start, start + listH).map((it, i) => {
        const active = start + i === cur;
        const badge = it.mentions ? ` @${it.mentions}` : it.unread ? ` ${it.unread}` : '';
        return (
          <Text key={it.key} wrap="truncate" inverse={active}>
            {active ? '› ' : '  '}
            {truncate(it.label, width - 2 - cellWidth(badge))}
            {badge}
          </Text>
        );
      })}
      {items.length === 0 ? <Text dimColor>no room matches</Text> : null}
      <Text dimColor wrap="truncate">{truncate('Enter open · ↑/↓ select · Esc close', width)}</Text>
    </Box>
  );
});

/** The member list (F2, with presence where the service has it). */
export const MemberList = memo(function MemberList(props: { roomKey: string | undefined; width: number; height: number; presence: boolean }) {
  const { roomKey, width, height, presence } = props;
  const { theme } = useUi();
  const members = useStore((s) => (roomKey ? s.rooms[roomKey]?.members : undefined));
  const online = useStore((s) => (roomKey ? s.rooms[roomKey]?.online : undefined));
  const list = memberRows(members ?? [], presence ? online : undefined);
  const inner = Math.max(4, width - 1);
  return (
    <Box width={width} height={height} flexDirection="column" borderStyle="single" borderTop={false} borderBottom={false} borderRight={false} borderDimColor>
      <Text bold wrap="truncate">{truncate(`Members (${list.length})`, inner)}</Text>
      {list.slice(0, Math.max(0, height - 1)).map((m) => (
        <Text key={m.user.id} wrap="truncate">
          {m.online === undefined ? ' ' : <Text {...theme.fg(m.online ? 'green' : undefined)} dimColor={!m.online}>{m.online ? '●' : '○'}</Text>}
          {' '}
          <Text {...theme.fg(theme.userColor(m.user.id))}>{truncate(sanitizeLine(m.user.name || m.user.id), inner - 2)}</Text>
        </Text>
      ))}
    </Box>
  );
});

/** Members merged with the online list: online first (sorted by name), then the rest. `online` undefined = no presence. */
export function memberRows(members: readonly UserRef[], online: readonly UserRef[] | undefined): { user: UserRef; online: boolean | undefined }[] {
  const byId = new Map<string, { user: UserRef; online: boolean | undefined }>();
  for (const u of online ?? []) byId.set(u.id, { user: u, online: true });
  for (const u of members) if (!byId.has(u.id)) byId.set(u.id, { user: u, online: online ? false : undefined });
  const name = (u: UserRef): string => (u.name || u.id).toLowerCase();
  return [...byId.values()].sort((a, b) => Number(b.online ?? 0) - Number(a.online ?? 0) || name(a.user).localeCompare(name(b.user)));
}

/** Lines of a multi-line paste previewed under its prompt. */
export const PASTE_PREVIEW_ROWS = 3;

const PASTE_KEYS = 'Enter/y send as one message · e edit · Esc/n cancel';
const pasteQuestion = (n: number): string => `? Paste of ${n} lines: ${PASTE_KEYS}`;
const otherKey = (key: string): string => `✗ ${key} does nothing here: ${PASTE_KEYS}`;

/** Rows the paste prompt takes at `width`: its question, wrapped (never cut), and up to {@link PASTE_PREVIEW_ROWS} preview rows. */
export function pastePromptRows(text: string, width: number): number {
  const n = text.split('\n').length;
  const q = Math.max(wrapPlain(pasteQuestion(n), width).length, wrapPlain(otherKey('Ctrl-XX'), width).length);
  return q + Math.min(PASTE_PREVIEW_ROWS, n);
}

/**
 * The prompt for a paste of several lines, drawn in the composer's place (where the text would go):
 * the question naming the keys it takes (Enter/y send as one message, e edit, Esc/n cancel), then the
 * first lines. Any other key is not swallowed silently: the prompt says it takes only those keys.
 */
export const PastePrompt = memo(function PastePrompt(props: { width: number; height: number; text: string; onSend(): void; onEdit(): void; onCancel(): void; ref?: Ref<OverlayHandle> }) {
  const { width, height, text, onSend, onEdit, onCancel, ref } = props;
  const { theme } = useUi();
  const [other, setOther] = useState<string | undefined>(undefined);
  const lines = text.split('\n');
  useImperativeHandle(ref, () => ({
    handleKey(ev) {
      if (ev.name === 'enter' || (ev.name === 'text' && ev.text === 'y')) onSend();
      else if (ev.name === 'text' && ev.text === 'e') onEdit();
      else if (ev.name === 'escape' || (ev.name === 'text' && ev.text === 'n') || (ev.ctrl && ev.name === 'g')) onCancel();
      else setOther(ev.name === 'text' ? `"${sanitizeLine(ev.text ?? '').slice(0, 3)}"` : keyLabel(keyId(ev)).slice(0, 7));
    },
  }));
  const qRows = pastePromptRows(text, width) - Math.min(PASTE_PREVIEW_ROWS, lines.length);
  const question = wrapPlain(other ? otherKey(other) : pasteQuestion(lines.length), width).slice(0, qRows);
  const preview = Math.max(0, height - qRows);
  const shown = lines.length > preview ? preview - 1 : preview;
  return (
    <Box width={width} height={height} flexDirection="column">
      {question.map((q, i) => (
        <Text key={`q${i}`} bold wrap="truncate" {...theme.fg(other ? 'red' : 'yellow')}>
          {q}
        </Text>
      ))}
      {Array.from({ length: qRows - question.length }, (_, i) => <Text key={`b${i}`}> </Text>)}
      {lines.slice(0, Math.max(0, shown)).map((l, i) => (
        <Text key={i} wrap="truncate" dimColor>
          {truncate(`│ ${l}`, width)}
        </Text>
      ))}
      {lines.length > preview && preview > 0 ? <Text dimColor>{truncate(`│ … ${lines.length - Math.max(0, shown)} more lines`, width)}</Text> : null}
    </Box>
  );
});
