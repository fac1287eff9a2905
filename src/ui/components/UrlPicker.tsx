import { Box, Text, useStdout } from 'ink';
import { memo, type Ref, useImperativeHandle, useMemo, useRef, useState } from 'react';
import { sanitizeLine } from '../../core/sanitize.js';
import { useUi } from '../context.js';
import { openOrCopy, osc52, roomUrls } from '../urls.js';
import { truncate } from '../wrap.js';
import type { OverlayHandle } from './Overlays.js';

/**
 * The `/urls` overlay: the last URLs of the shown room, newest first. Up/Down select, Enter opens the
 * URL with `$BROWSER` (or copies it with OSC 52 when there is none), `c` copies it, Esc closes; what
 * happened is said through `onDone`.
 */
export const UrlPicker = memo(function UrlPicker(props: { width: number; height: number; roomKey: string; onDone(notice: string): void; onClose(): void; ref?: Ref<OverlayHandle> }) {
  const { width, height, roomKey, onDone, onClose, ref } = props;
  const { store, theme } = useUi();
  const { stdout } = useStdout();
  const urls = useMemo(() => roomUrls(store.getState(), roomKey), [store, roomKey]);
  const [sel, setSel] = useState(0);
  const cur = Math.min(sel, Math.max(0, urls.length - 1));
  const ref2 = useRef({ urls, cur });
  ref2.current = { urls, cur };
  const listH = Math.max(1, height - 2);
  useImperativeHandle(ref, () => ({
    handleKey(ev) {
      const { urls: list, cur: at } = ref2.current;
      const k = `${ev.ctrl ? 'C-' : ''}${ev.meta ? 'M-' : ''}${ev.name}`;
      const url = list[at]?.url;
      if (k === 'escape' || k === 'C-g') onClose();
      else if (k === 'up' || k === 'C-p') setSel(Math.max(0, at - 1));
      else if (k === 'down' || k === 'C-n' || k === 'tab') setSel(Math.min(list.length - 1, at + 1));
      else if (k === 'enter' || (ev.name === 'text' && ev.text === 'c')) {
        if (!url) return onClose();
        const how = k === 'enter' ? openOrCopy(url, (s) => stdout.write(s)) : (stdout.write(osc52(url)), 'copied');
        onDone(how === 'opened' ? `opened ${url}` : `copied ${url} (OSC 52: the terminal puts it on the clipboard)`);
      }
    },
  }));
  const start = Math.max(0, Math.min(cur - listH + 1, urls.length - listH));
  return (
    <Box width={width} height={height} flexDirection="column">
      <Text bold wrap="truncate" {...theme.fg('cyan')}>{truncate(`URLs of this room: ${urls.length}`, width)}</Text>
      {urls.slice(start, start + listH).map((u, i) => {
        const active = start + i === cur;
        return (
          <Text key={u.url} wrap="truncate" inverse={active}>
            {active ? '› ' : '  '}
            {truncate(`${sanitizeLine(u.url)}  (${sanitizeLine(u.author)})`, Math.max(0, width - 2))}
          </Text>
        );
      })}
      {urls.length === 0 ? <Text dimColor>no URL in the loaded messages</Text> : null}
      <Text dimColor wrap="truncate">{truncate('Enter open ($BROWSER, else copy) · c copy (OSC 52) · ↑/↓ select · Esc close', width)}</Text>
    </Box>
  );
});
