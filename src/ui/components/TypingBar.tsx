import { Text } from 'ink';
import { memo } from 'react';
import { useUi } from '../context.js';
import { onlineText, typingText } from '../format.js';
import { useNow } from '../hooks/useNow.js';
import { useStore } from '../hooks/useStore.js';
import { cellWidth, truncate } from '../wrap.js';

/** Props: the room, its profile's capabilities (what to show), width. */
export interface TypingBarProps {
  roomKey: string | undefined;
  width: number;
  showTyping: boolean;
  showPresence: boolean;
}

/**
 * The typing/presence bar: "Jane is typing…", "Jane and 2 others are typing…",
 * "12 online". Own store subscription (typing changes do not re-render the message pane);
 * ticks once a second while someone types so expired typers disappear even without new events.
 * Rendered only when the service has typing or presence (the parent leaves the row out otherwise).
 */
export const TypingBar = memo(function TypingBar({ roomKey, width, showTyping, showPresence }: TypingBarProps) {
  const { theme } = useUi();
  const typing = useStore((s) => (roomKey ? s.rooms[roomKey]?.typing : undefined));
  const online = useStore((s) => (roomKey ? s.rooms[roomKey]?.online : undefined));
  const profile = useStore((s) => (roomKey ? s.profiles[s.rooms[roomKey]?.profile ?? '']?.me?.id : undefined));
  const now = useNow(1000, showTyping && (typing?.length ?? 0) > 0);
  const t = showTyping && typing ? typingText(typing, now, profile) : '';
  const o = showPresence ? onlineText(online) : '';
  const right = o ? ` ${o}` : '';
  const left = truncate(t, Math.max(0, width - cellWidth(right) - 1));
  const gap = Math.max(1, width - cellWidth(left) - cellWidth(right));
  return (
    <Text wrap="truncate">
      <Text italic {...theme.fg('magenta')}>{left}</Text>
      {' '.repeat(gap - 1)}
      <Text dimColor>{right}</Text>
    </Text>
  );
});
