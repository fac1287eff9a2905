import { Box, Text } from 'ink';
import { memo, type Ref, useImperativeHandle, useRef, useState } from 'react';
import { sanitizeLine } from '../../core/sanitize.js';
import { useUi } from '../context.js';
import { formatTime } from '../format.js';
import type { StatusEntry } from '../hooks/useStatusLog.js';
import { truncate } from '../wrap.js';
import type { OverlayHandle } from './Overlays.js';

/**
 * The `/status` overlay: the status buffer (every notice and error of this run), newest at the bottom,
 * one line each (time, ✗ for errors, profile, text). Up/Down and PgUp/PgDn scroll, Esc closes.
 */
export const StatusBuffer = memo(function StatusBuffer(props: { width: number; height: number; entries: readonly StatusEntry[]; onClose(): void; ref?: Ref<OverlayHandle> }) {
  const { width, height, entries, onClose, ref } = props;
  const { theme } = useUi();
  const listH = Math.max(1, height - 2);
  // Rows scrolled up from the bottom.
  const [back, setBack] = useState(0);
  const maxBack = Math.max(0, entries.length - listH);
  const cur = useRef({ back, maxBack });
  cur.current = { back: Math.min(back, maxBack), maxBack };
  useImperativeHandle(ref, () => ({
    handleKey(ev) {
      const k = `${ev.ctrl ? 'C-' : ''}${ev.meta ? 'M-' : ''}${ev.name}`;
      const { back: b, maxBack: m } = cur.current;
      if (k === 'escape' || k === 'C-g' || (ev.name === 'text' && ev.text === 'q')) onClose();
      else if (k === 'up' || k === 'C-p') setBack(Math.min(m, b + 1));
      else if (k === 'down' || k === 'C-n') setBack(Math.max(0, b - 1));
      else if (k === 'pageup') setBack(Math.min(m, b + listH));
      else if (k === 'pagedown') setBack(Math.max(0, b - listH));
      else if (k === 'home' || k === 'C-home') setBack(m);
      else if (k === 'end' || k === 'C-end') setBack(0);
    },
  }));
  const b = Math.min(back, maxBack);
  const end = entries.length - b;
  const shown = entries.slice(Math.max(0, end - listH), end);
  return (
    <Box width={width} height={height} flexDirection="column">
      <Text bold wrap="truncate" {...theme.fg('cyan')}>{truncate(`Status: ${entries.length} notice${entries.length === 1 ? '' : 's'} and errors of this run${b ? ` (${b} newer below)` : ''}`, width)}</Text>
      {shown.map((e, i) => (
        <Text key={end - shown.length + i} wrap="truncate" {...(e.level === 'error' ? theme.fg('red') : {})}>
          {truncate(`${formatTime(e.time, 'HH:mm:ss')} ${e.level === 'error' ? '✗' : '·'} ${e.profile ? `[${sanitizeLine(e.profile)}] ` : ''}${sanitizeLine(e.text)}`, width)}
        </Text>
      ))}
      {entries.length === 0 ? <Text dimColor>nothing yet</Text> : null}
      <Text dimColor wrap="truncate">{truncate('↑/↓ PgUp/PgDn scroll · Esc close', width)}</Text>
    </Box>
  );
});
