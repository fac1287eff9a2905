import type { EventEmitter } from 'node:events';
import { useEffect, useRef } from 'react';
import { type Key, useInput, useStdin } from 'ink';
import { noteUserActivity } from '../../core/heap.js';
import { type KeyEvent, parseKeys } from '../keys.js';

interface InternalStdin {
  setRawMode(on: boolean): void;
  internal_eventEmitter?: EventEmitter;
}

/** Rebuilds a KeyEvent from Ink's parsed key (fallback when the raw input channel is unavailable). */
function fromInk(input: string, k: Key): KeyEvent[] {
  const base = { ctrl: k.ctrl, meta: k.meta, shift: k.shift, raw: input };
  const named = (name: string): KeyEvent[] => [{ ...base, name }];
  if (k.upArrow) return named('up');
  if (k.downArrow) return named('down');
  if (k.leftArrow) return named('left');
  if (k.rightArrow) return named('right');
  if (k.pageUp) return named('pageup');
  if (k.pageDown) return named('pagedown');
  if (k.home) return named('home');
  if (k.end) return named('end');
  if (k.return) return named('enter');
  if (k.escape) return named('escape');
  if (k.tab) return named('tab');
  if (k.backspace) return named('backspace');
  if (k.delete) return named('delete');
  if (k.ctrl && input) return named(input);
  if (k.meta && input) return named(input.toLowerCase());
  return parseKeys(input);
}

/**
 * Calls `handler` with the decoded keys of every input chunk (keys.ts `parseKeys`): several keys
 * typed in one read come as several events, function keys have names. Reads Ink's raw input
 * channel (the same one `useInput` uses) so F1/F2/F5 are visible; falls back to `useInput` when
 * that channel is not there. Pastes go to `usePaste` handlers, not here.
 */
export function useKeys(handler: (keys: KeyEvent[]) => void, isActive = true): void {
  const stdin = useStdin() as unknown as InternalStdin;
  const emitter = stdin.internal_eventEmitter;
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    if (!emitter || !isActive) return;
    stdin.setRawMode(true);
    const onInput = (input: string): void => {
      noteUserActivity();
      const keys = parseKeys(String(input));
      if (keys.length) ref.current(keys);
    };
    emitter.on('input', onInput);
    return () => {
      emitter.removeListener('input', onInput);
      stdin.setRawMode(false);
    };
  }, [emitter, isActive, stdin]);
  useInput(
    (input, key) => {
      noteUserActivity();
      ref.current(fromInk(input, key));
    },
    { isActive: isActive && !emitter },
  );
}
