import { type RefObject, useEffect, useRef } from 'react';
import { useStdin, useStdout } from 'ink';

/** Focus reporting (xterm 1004): the terminal sends ESC [ I / ESC [ O when it gains / loses focus. */
export const FOCUS_ON = '\u001b[?1004h';
export const FOCUS_OFF = '\u001b[?1004l';

/**
 * Whether the terminal window has focus (notify "when the app is not focused"). Turns on
 * focus reporting while mounted and taps stdin's `data` events (Ink drops the reports before its key
 * handlers). Starts as focused; terminals without focus reporting never report, so it stays true.
 */
export function useTerminalFocus(enabled: boolean): RefObject<boolean> {
  const { stdin } = useStdin();
  const { stdout } = useStdout();
  const focused = useRef(true);
  useEffect(() => {
    if (!enabled) return;
    stdout.write(FOCUS_ON);
    const onData = (d: Buffer | string): void => {
      const s = typeof d === 'string' ? d : d.toString('utf8');
      const i = s.lastIndexOf('\u001b[I');
      const o = s.lastIndexOf('\u001b[O');
      if (i >= 0 || o >= 0) focused.current = i > o;
    };
    stdin.on('data', onData);
    return () => {
      stdin.removeListener('data', onData);
      stdout.write(FOCUS_OFF);
    };
  }, [enabled, stdin, stdout]);
  return focused;
}
