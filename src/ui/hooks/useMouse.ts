import { useEffect, useRef } from 'react';
import { useStdin, useStdout } from 'ink';
import { noteUserActivity } from '../../core/heap.js';

/** A mouse event: wheel up/down or a left click at (x, y), 0-based cells of the window. */
export interface MouseEvent {
  kind: 'wheelUp' | 'wheelDown' | 'click';
  x: number;
  y: number;
}

/** Terminal modes: button events + SGR extended coordinates (1000 + 1006). */
export const MOUSE_ON = '\u001b[?1000h\u001b[?1006h';
export const MOUSE_OFF = '\u001b[?1000l\u001b[?1006l';

const SGR_MOUSE = /\u001b\[<(\d+);(\d+);(\d+)([Mm])/g;

/** Decodes SGR mouse reports (`ESC [ < b ; x ; y M`) in a chunk of input. Other bytes are ignored. */
export function parseMouse(chunk: string): MouseEvent[] {
  const out: MouseEvent[] = [];
  for (const m of chunk.matchAll(SGR_MOUSE)) {
    const b = Number(m[1]);
    const x = Number(m[2]) - 1;
    const y = Number(m[3]) - 1;
    if (b & 64) out.push({ kind: b & 1 ? 'wheelDown' : 'wheelUp', x, y });
    else if ((b & 3) === 0 && !(b & 32) && m[4] === 'M') out.push({ kind: 'click', x, y });
  }
  return out;
}

/**
 * Opt-in mouse support: turns on SGR
 * mouse reporting while mounted and taps stdin's `data` events (emitted as Ink reads the stream; Ink
 * itself drops mouse reports before its key handlers). Turns reporting off on unmount; runTui also
 * turns it off on every exit path.
 */
export function useMouse(enabled: boolean, handler: (ev: MouseEvent) => void): void {
  const { stdin } = useStdin();
  const { stdout } = useStdout();
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    if (!enabled) return;
    stdout.write(MOUSE_ON);
    const onData = (d: Buffer | string): void => {
      const s = typeof d === 'string' ? d : d.toString('utf8');
      if (!s.includes('\u001b[<')) return;
      noteUserActivity();
      for (const ev of parseMouse(s)) ref.current(ev);
    };
    stdin.on('data', onData);
    return () => {
      stdin.removeListener('data', onData);
      stdout.write(MOUSE_OFF);
    };
  }, [enabled, stdin, stdout]);
}
