import { Box, Text } from 'ink';
import { memo, useEffect, useMemo, useRef } from 'react';
import type { RoomState, StoredMessage } from '../../core/state.js';
import type { Theme } from '../theme.js';
import { useUi } from '../context.js';
import { buildKeymap, failedHint } from '../keymap.js';
import { type LayoutOptions, separator } from '../lines.js';
import { useStore } from '../hooks/useStore.js';
import { computeView, countAfter, type ScrollPos } from '../viewport.js';

const EMPTY: StoredMessage[] = [];

/** Scroll state of the shown room: `pos` null = stuck to the bottom; `lastSeen` = newest message when the user scrolled away. */
export interface PaneScroll {
  pos: ScrollPos | null;
  lastSeen?: ScrollPos;
}

/** Props of the message pane. */
export interface MessagePaneProps {
  roomKey: string | undefined;
  width: number;
  height: number;
  scroll: PaneScroll;
  /** Whether older history can be fetched now (capability `history` and the profile connected). */
  canLoadOlder: boolean;
  /**
   * The user cleared the room (/clear): nothing is fetched by itself to fill the pane (it stays
   * cleared) until the user scrolls up.
   */
  cleared?: boolean;
}

/** The layout options for a pane width (also used by App to scroll with the same row counts). */
export function useLayout(roomKey: string | undefined, width: number): LayoutOptions {
  const { theme, options } = useUi();
  const me = useStore((s) => (roomKey ? s.profiles[s.rooms[roomKey]?.profile ?? '']?.me : undefined));
  const hint = useMemo(() => failedHint(buildKeymap(options.keys)), [options.keys]);
  return useMemo(() => {
    const o: LayoutOptions = { width, theme, timeFormat: options.timeFormat ?? 'HH:mm', failedHint: hint };
    if (me) {
      o.selfId = me.id;
      o.selfName = me.name;
    }
    return o;
  }, [width, theme, options.timeFormat, me, hint]);
}

/**
 * The virtualised message pane: only the rows on screen are elements; rows come from the
 * per-message cache (lines.ts), positions from viewport.ts. A "loading older messages…" row shows at
 * the top while history is fetched, and a "N new messages" row at the bottom while scrolled up. The
 * tree is exactly `height` rows tall. When the view reaches the top of what is loaded and the user
 * has scrolled, older history is requested (capability `history`).
 */
export const MessagePane = memo(function MessagePane({ roomKey, width, height, scroll, canLoadOlder, cleared = false }: MessagePaneProps) {
  const { runtime, theme } = useUi();
  const layout = useLayout(roomKey, width);
  // The store mutates `messages` in place (api: compare the room, not the array), so the pane selects
  // what it SHOWS: the rows are computed in the selector (O(screen), rows cached per message) and the
  // pane re-renders only when a visible row changes — not on typing/presence changes of the room.
  // A flood in another room does not even recompute: the last result is reused while the inputs
  // (this room's RoomState object, which the store replaces on every change) are the same.
  const memoRef = useRef<{ room: RoomState | undefined; layout: LayoutOptions; height: number; scroll: PaneScroll; canLoadOlder: boolean; cleared: boolean; out: PaneContent } | null>(null);
  const pane = useStore((s) => {
    const room = roomKey ? s.rooms[roomKey] : undefined;
    const m = memoRef.current;
    if (m && m.room === room && m.layout === layout && m.height === height && m.scroll === scroll && m.canLoadOlder === canLoadOlder && m.cleared === cleared) return m.out;
    const out = buildPane(room, layout, height, scroll, canLoadOlder, theme, cleared);
    memoRef.current = { room, layout, height, scroll, canLoadOlder, cleared, out };
    return out;
  }, paneEqual);
  const { wantOlder } = pane;
  // One automatic fetch per room state: a failing fetch (shown as a notice by the runtime) is not
  // retried in a loop — only after new messages arrived or 10 s passed.
  const attempts = useRef(new Map<string, { count: number; at: number }>());
  useEffect(() => {
    if (!wantOlder || !roomKey) return;
    const count = pane.messageCount;
    const last = attempts.current.get(roomKey);
    if (last && last.count === count && Date.now() - last.at < 10_000) return;
    attempts.current.set(roomKey, { count, at: Date.now() });
    void runtime.loadOlder(roomKey).catch(() => undefined);
  }, [wantOlder, roomKey, runtime, pane.messageCount]);
  return (
    <Box width={width} height={height} flexDirection="column" justifyContent={scroll.pos === null ? 'flex-end' : 'flex-start'} overflow="hidden">
      {pane.rows.map((r) => (
        <Text key={r.key} wrap="truncate" dimColor={r.dim ?? false}>
          {r.text}
        </Text>
      ))}
    </Box>
  );
});

/** What the pane shows: exactly the rows on screen, and whether older history should be fetched. */
export interface PaneContent {
  rows: { key: string; text: string; dim?: boolean }[];
  wantOlder: boolean;
  /** Messages loaded in the room (for the fetch throttle). */
  messageCount: number;
}

function paneEqual(a: PaneContent, b: PaneContent): boolean {
  if (a.wantOlder !== b.wantOlder || a.rows.length !== b.rows.length || a.messageCount !== b.messageCount) return false;
  for (let i = 0; i < a.rows.length; i++) {
    const x = a.rows[i];
    const y = b.rows[i];
    if (!x || !y || x.text !== y.text || x.key !== y.key || x.dim !== y.dim) return false;
  }
  return true;
}

/** Computes the pane's rows for a room (virtualised: work ∝ screen rows); `cleared`: see {@link MessagePaneProps}. */
export function buildPane(room: RoomState | undefined, layout: LayoutOptions, height: number, scroll: PaneScroll, canLoadOlder: boolean, theme: Theme, cleared = false): PaneContent {
  const messages = room?.messages ?? EMPTY;
  const loading = room?.loadingHistory ?? false;
  const footer = scroll.pos !== null ? 1 : 0;
  const top = loading ? 1 : 0;
  const bodyH = Math.max(0, height - footer - top);
  let view = computeView({ messages, firstUnread: room?.firstUnread ?? -1, layout, height: bodyH }, scroll.pos);
  // Authors on screen (at most one message a row) get colours that differ; laid out again only when one changes.
  const onScreen = new Set<string>();
  for (let i = Math.max(0, view.bottomIndex - bodyH + 1); i <= view.bottomIndex; i++) {
    const m = messages[i];
    if (m && m.kind === 'normal') onScreen.add(m.author.id);
  }
  const nickColors = theme.distinctColors(onScreen);
  if ([...nickColors].some(([id, c]) => c !== theme.userColor(id))) {
    view = computeView({ messages, firstUnread: room?.firstUnread ?? -1, layout: { ...layout, nickColors }, height: bodyH }, scroll.pos);
  }
  // Fetch older history when the user scrolled to the top of what is loaded, or when what is loaded
  // does not fill the pane (a room just opened: connectors emit no history on connect) — unless the
  // user cleared the room.
  const wantOlder = canLoadOlder && (room?.hasMoreHistory ?? false) && !loading && view.atTop && (scroll.pos !== null || (!cleared && view.rows.length < bodyH)) && room !== undefined;
  const rows: PaneContent['rows'] = [];
  const width = layout.width;
  if (top) rows.push({ key: 'loading', text: separator('loading older messages…', width, theme, 'yellow') });
  if (messages.length === 0 && !loading) {
    const text = !room ? '' : cleared ? 'cleared — PgUp shows older messages' : wantOlder ? 'loading messages…' : canLoadOlder || !(room.hasMoreHistory ?? false) ? 'no messages yet' : 'waiting for the connection…';
    rows.push({ key: 'empty', text, dim: true });
  }
  view.rows.forEach((text, i) => rows.push({ key: `r${i}`, text }));
  if (footer) {
    const n = countAfter(messages, scroll.lastSeen);
    rows.push({ key: 'footer', text: separator(n > 0 ? `${n} new message${n === 1 ? '' : 's'} below · End` : 'more below · End', width, theme, n > 0 ? 'red' : 'cyan') });
  }
  return { rows: rows.slice(-Math.max(0, height)), wantOlder, messageCount: messages.length };
}
