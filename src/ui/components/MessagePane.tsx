import { Box, Text } from 'ink';
import { memo, useEffect, useMemo } from 'react';
import type { StoredMessage } from '../../core/state.js';
import { useUi } from '../context.js';
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
  /** Whether the service can fetch older history (capability `history`). */
  canLoadOlder: boolean;
}

/** The layout options for a pane width (also used by App to scroll with the same row counts). */
export function useLayout(roomKey: string | undefined, width: number): LayoutOptions {
  const { theme, options } = useUi();
  const me = useStore((s) => (roomKey ? s.profiles[s.rooms[roomKey]?.profile ?? '']?.me : undefined));
  return useMemo(() => {
    const o: LayoutOptions = { width, theme, timeFormat: options.timeFormat ?? 'HH:mm' };
    if (me) {
      o.selfId = me.id;
      o.selfName = me.name;
    }
    return o;
  }, [width, theme, options.timeFormat, me]);
}

/**
 * The virtualised message pane (issue 8): only the rows on screen are elements; rows come from the
 * per-message cache (lines.ts), positions from viewport.ts. A "loading older messages…" row shows at
 * the top while history is fetched, and a "N new messages" row at the bottom while scrolled up. The
 * tree is exactly `height` rows tall. When the view reaches the top of what is loaded and the user
 * has scrolled, older history is requested (capability `history`).
 */
export const MessagePane = memo(function MessagePane({ roomKey, width, height, scroll, canLoadOlder }: MessagePaneProps) {
  const { runtime, theme } = useUi();
  const messages = useStore((s) => (roomKey ? s.rooms[roomKey]?.messages : undefined) ?? EMPTY);
  const firstUnread = useStore((s) => (roomKey ? s.rooms[roomKey]?.firstUnread : undefined) ?? -1);
  const loading = useStore((s) => (roomKey ? s.rooms[roomKey]?.loadingHistory : undefined) ?? false);
  const hasMore = useStore((s) => (roomKey ? s.rooms[roomKey]?.hasMoreHistory : undefined) ?? false);
  const layout = useLayout(roomKey, width);
  const footer = scroll.pos !== null ? 1 : 0;
  const top = loading ? 1 : 0;
  const bodyH = Math.max(0, height - footer - top);
  const view = computeView({ messages, firstUnread, layout, height: bodyH }, scroll.pos);
  const wantOlder = canLoadOlder && hasMore && !loading && view.atTop && scroll.pos !== null && roomKey !== undefined;
  useEffect(() => {
    if (wantOlder && roomKey) void runtime.loadOlder(roomKey).catch(() => undefined);
  }, [wantOlder, roomKey, runtime, messages.length]);
  const rows: { key: string; text: string; dim?: boolean }[] = [];
  if (top) rows.push({ key: 'loading', text: separator('loading older messages…', width, theme, 'yellow') });
  if (messages.length === 0 && !loading) {
    rows.push({ key: 'empty', text: 'no messages yet', dim: true });
  }
  view.rows.forEach((text, i) => rows.push({ key: `r${i}`, text }));
  if (footer) {
    const n = countAfter(messages, scroll.lastSeen);
    rows.push({ key: 'footer', text: separator(n > 0 ? `${n} new message${n === 1 ? '' : 's'} below · End` : 'more below · End', width, theme, n > 0 ? 'red' : 'cyan') });
  }
  return (
    <Box width={width} height={height} flexDirection="column" justifyContent={scroll.pos === null ? 'flex-end' : 'flex-start'} overflow="hidden">
      {rows.slice(-height).map((r) => (
        <Text key={r.key} wrap="truncate" dimColor={r.dim ?? false}>
          {r.text}
        </Text>
      ))}
    </Box>
  );
});
