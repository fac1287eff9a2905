import { Text } from 'ink';
import { sanitizeLine } from '../../core/sanitize.js';
import { memo } from 'react';
import { useUi } from '../context.js';
import { useStore } from '../hooks/useStore.js';
import { cellWidth, truncate } from '../wrap.js';

/** The room header: `#name — topic`, a LIVE mark for live streams, and the profile. */
export const Header = memo(function Header({ roomKey, width }: { roomKey: string | undefined; width: number }) {
  const { theme } = useUi();
  const name = useStore((s) => (roomKey ? s.rooms[roomKey]?.name : undefined));
  const topic = useStore((s) => (roomKey ? s.rooms[roomKey]?.topic : undefined));
  const live = useStore((s) => (roomKey ? s.rooms[roomKey]?.live : undefined));
  const profile = useStore((s) => (roomKey ? s.rooms[roomKey]?.profile : undefined));
  if (!roomKey || name === undefined) return <Text dimColor wrap="truncate">{truncate('no room open — /join ROOM or Ctrl-N', width)}</Text>;
  const liveMark = live ? ' ● LIVE' : '';
  const title = `#${sanitizeLine(name)}`;
  const rest = topic ? ` — ${sanitizeLine(topic)}` : '';
  const prof = profile ? `  [${profile}]` : '';
  return (
    <Text wrap="truncate">
      <Text bold>{truncate(title, width)}</Text>
      {live ? <Text bold {...theme.fg('red')}>{liveMark}</Text> : null}
      <Text dimColor>{truncate(rest, Math.max(0, width - cellWidth(title) - cellWidth(liveMark) - cellWidth(prof)))}{prof}</Text>
    </Text>
  );
});
