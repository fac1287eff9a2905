import { Box, Text } from 'ink';
import { memo, type Ref, useImperativeHandle, useMemo, useRef, useState } from 'react';
import type { MessageEvent } from '../../core/events.js';
import { sanitizeLine } from '../../core/sanitize.js';
import { roomKey } from '../../core/state.js';
import { useUi } from '../context.js';
import { dayLabel, formatTime } from '../format.js';
import { lastlogHits } from '../lastlog.js';
import type { OverlayHandle } from './Overlays.js';
import { truncate } from '../wrap.js';

/** Hits the overlay asks the archive for. */
export const SEARCH_LIMIT = 200;

/** The title's note while the search index is being rebuilt (archive schema v5): the older messages not searched yet. */
function rebuildNote(left: number): string {
  return left > 0 ? ` · index being rebuilt: ${left.toLocaleString('en-US')} older messages not searched yet` : '';
}

/**
 * The `/search` overlay: the archive's hits for a text, newest first, one line each (day, time, room,
 * author, text). Up/Down (Ctrl-P/Ctrl-N, PgUp/PgDn) select, Enter shows the hit in its room (with the
 * archived messages around it), Esc closes. Remote text is sanitised to one line.
 */
export const SearchOverlay = memo(function SearchOverlay(props: { width: number; height: number; query: string; loadedRoom?: string; onPick(hit: MessageEvent): void; onClose(): void; ref?: Ref<OverlayHandle> }) {
  const { width, height, query, loadedRoom, onPick, onClose, ref } = props;
  const { runtime, store, theme } = useUi();
  // `loadedRoom` (/lastlog): the loaded messages of that room instead of the archive.
  // Counted with the search, not per frame (over a large archive the count reads the rows left).
  const [hits, left] = useMemo(
    () => (loadedRoom ? [lastlogHits(store.getState(), loadedRoom, query, SEARCH_LIMIT), 0] : [runtime.searchArchive?.(query, { limit: SEARCH_LIMIT }) ?? [], runtime.archiveSearchRebuildLeft?.() ?? 0]),
    [runtime, store, loadedRoom, query],
  );
  const [sel, setSel] = useState(0);
  const listH = Math.max(1, height - 2);
  const cur = Math.min(sel, Math.max(0, hits.length - 1));
  const hitsRef = useRef(hits);
  hitsRef.current = hits;
  useImperativeHandle(ref, () => ({
    handleKey(ev) {
      const k = `${ev.ctrl ? 'C-' : ''}${ev.meta ? 'M-' : ''}${ev.name}`;
      const last = Math.max(0, hitsRef.current.length - 1);
      if (k === 'escape' || k === 'C-g') onClose();
      else if (k === 'enter') {
        const h = hitsRef.current[cur];
        if (h) onPick(h);
        else onClose();
      } else if (k === 'up' || k === 'C-p') setSel(Math.max(0, cur - 1));
      else if (k === 'down' || k === 'C-n' || k === 'tab') setSel(Math.min(last, cur + 1));
      else if (k === 'pageup') setSel(Math.max(0, cur - listH));
      else if (k === 'pagedown') setSel(Math.min(last, cur + listH));
    },
  }));
  const rooms = store.getState().rooms;
  const label = (h: MessageEvent): string => {
    const r = rooms[roomKey(h.profile, h.room)];
    const ts = Date.parse(h.time);
    const where = sanitizeLine(`#${r?.name || h.room}`);
    return `${dayLabel(ts)} ${formatTime(ts)} ${where} ${sanitizeLine(h.author.name || h.author.id)}: ${sanitizeLine(h.text)}`;
  };
  const start = Math.max(0, Math.min(cur - listH + 1, hits.length - listH));
  const count = `${hits.length}${hits.length >= SEARCH_LIMIT ? '+' : ''} hit${hits.length === 1 ? '' : 's'}`;
  const title = loadedRoom
    ? `Lastlog "${sanitizeLine(query)}" in #${sanitizeLine(rooms[loadedRoom]?.name ?? '')}: ${count} of what is loaded (/search for the archive)`
    : `Search "${sanitizeLine(query)}": ${count}${rebuildNote(left)}`;
  return (
    <Box width={width} height={height} flexDirection="column">
      <Text bold wrap="truncate" {...theme.fg('cyan')}>{truncate(title, width)}</Text>
      {hits.slice(start, start + listH).map((h, i) => {
        const active = start + i === cur;
        return (
          <Text key={`${h.profile}\u0000${h.room}\u0000${h.id}`} wrap="truncate" inverse={active}>
            {active ? '› ' : '  '}
            {truncate(label(h), Math.max(0, width - 2))}
          </Text>
        );
      })}
      {hits.length === 0 ? <Text dimColor>{loadedRoom ? 'no loaded message matches' : 'no archived message matches'}</Text> : null}
      <Text dimColor wrap="truncate">{truncate('Enter show in its room · ↑/↓ select · Esc close', width)}</Text>
    </Box>
  );
});
