import { Box, Text, useStdout } from 'ink';
import { memo, type Ref, useImperativeHandle, useMemo, useRef, useState } from 'react';
import { sanitize, sanitizeLine } from '../../core/sanitize.js';
import { useUi } from '../context.js';
import { formatTime } from '../format.js';
import { useStore } from '../hooks/useStore.js';
import type { StoredMessage } from '../../core/state.js';
import { osc52 } from '../urls.js';
import { truncate, wrapPlain } from '../wrap.js';
import type { OverlayHandle } from './Overlays.js';

/** One message of copy mode: its sanitised text (what is copied), author and time (unix ms). */
export interface CopyItem {
  id: string;
  text: string;
  author: string;
  ts: number;
}

/**
 * The messages copy mode offers of a room's loaded `messages`: oldest first, without gap markers
 * and deleted messages; `text` is the stored text through `sanitize` (remote text never raw).
 */
export function copyItems(messages: readonly StoredMessage[]): CopyItem[] {
  const out: CopyItem[] = [];
  for (const m of messages) {
    if (m.deleted || m.kind === 'gap') continue;
    out.push({ id: m.id, text: sanitize(m.text), author: sanitizeLine(m.author.name || m.author.id), ts: m.ts });
  }
  return out;
}

/**
 * The rows copy mode draws in `height` rows of `width` cells with message `sel` selected: the
 * selected message's rows end at the bottom (its start stays visible when it is taller than the
 * screen), older messages fill above it, newer ones below when the older ones run out; one blank row
 * between messages. Wraps only the messages it shows (O(rows on screen)). `first` is the index of
 * the oldest message it shows.
 */
export function copyRows(items: readonly CopyItem[], sel: number, width: number, height: number): { rows: { key: string; text: string; selected: boolean }[]; first: number } {
  type R = { key: string; text: string; selected: boolean };
  const block = (i: number): R[] => wrapPlain(items[i]!.text, width).map((text, j) => ({ key: `${items[i]!.id}.${j}`, text, selected: i === sel }));
  if (items.length === 0) return { rows: [], first: 0 };
  let rows = block(sel).slice(0, height);
  let first = sel;
  for (let i = sel - 1; i >= 0 && rows.length + 1 < height; i--) {
    const b = block(i);
    const room = height - rows.length - 1;
    rows = [...b.slice(Math.max(0, b.length - room)), { key: `${items[i]!.id}.gap`, text: '', selected: false }, ...rows];
    first = i;
  }
  for (let i = sel + 1; i < items.length && rows.length + 1 < height; i++) {
    rows.push({ key: `${items[i]!.id}.gap`, text: '', selected: false }, ...block(i).slice(0, height - rows.length - 1));
  }
  return { rows, first };
}

/**
 * Copy mode (`/copy`, Alt-C): the shown room's messages as plain text across the whole screen, with
 * no time/author gutter and no room list, so a terminal selection takes only the text; newest
 * selected. Up/Down select a message, PgUp/PgDn a page of messages, `c` or Enter copies the selected
 * message's text with OSC 52 (the /urls writer), Esc closes; what happened is said through `onDone`.
 */
export const CopyMode = memo(function CopyMode(props: { width: number; height: number; roomKey: string; onDone(notice: string): void; onClose(): void; ref?: Ref<OverlayHandle> }) {
  const { width, height, roomKey, onDone, onClose, ref } = props;
  const { theme, options } = useUi();
  const { stdout } = useStdout();
  const messages = useStore((s) => s.rooms[roomKey]?.messages);
  const items = useMemo(() => copyItems(messages ?? []), [messages]);
  const [sel, setSel] = useState<number | undefined>(undefined); // undefined: the newest
  const cur = Math.max(0, Math.min(sel ?? items.length - 1, items.length - 1));
  const bodyH = Math.max(1, height - 2);
  const view = copyRows(items, cur, width, bodyH);
  const state = useRef({ items, cur, page: 1 });
  state.current = { items, cur, page: Math.max(1, cur - view.first) };
  useImperativeHandle(ref, () => ({
    handleKey(ev) {
      const { items: list, cur: at, page } = state.current;
      const last = list.length - 1;
      const move = (to: number): void => setSel(Math.max(0, Math.min(last, to)));
      if (ev.name === 'escape' || (ev.ctrl && ev.name === 'g')) onClose();
      else if (ev.name === 'up' || (ev.ctrl && ev.name === 'p')) move(at - 1);
      else if (ev.name === 'down' || (ev.ctrl && ev.name === 'n')) move(at + 1);
      else if (ev.name === 'pageup') move(at - page);
      else if (ev.name === 'pagedown') move(at + page);
      else if (ev.name === 'home') move(0);
      else if (ev.name === 'end') move(last);
      else if (ev.name === 'enter' || (ev.name === 'text' && ev.text === 'c')) {
        const it = list[at];
        if (!it) return onClose();
        stdout.write(osc52(it.text));
        onDone(`copied the message of ${it.author} (${[...it.text].length} characters, OSC 52: the terminal puts it on the clipboard)`);
      }
    },
  }));
  const it = items[cur];
  const title = it ? `Copy mode: message ${cur + 1} of ${items.length} · ${it.author} ${formatTime(it.ts, options.timeFormat)}` : 'Copy mode';
  return (
    <Box width={width} height={height} flexDirection="column">
      <Text bold wrap="truncate" {...theme.fg('cyan')}>{truncate(title, width)}</Text>
      <Box height={bodyH} flexDirection="column">
        {view.rows.map((r) => (
          <Text key={r.key} wrap="truncate" inverse={r.selected}>
            {r.text || ' '}
          </Text>
        ))}
        {items.length === 0 ? <Text dimColor>no message in this room</Text> : null}
      </Box>
      <Text dimColor wrap="truncate">{truncate('c/Enter copy (OSC 52) · ↑/↓ PgUp/PgDn select · Esc close', width)}</Text>
    </Box>
  );
});
