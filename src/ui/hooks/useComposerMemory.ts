import { useCallback, useEffect, useRef } from 'react';
import type { UiMemory, UiMemoryStore } from '../types.js';

/** Most sent lines remembered per room, and most rooms with a remembered draft or sent lines. */
export const MAX_SENT_REMEMBERED = 200;
export const MAX_ROOMS_REMEMBERED = 200;
/** Saves are gathered for this long, ms (a burst of keystrokes is one write). */
export const SAVE_DELAY_MS = 500;

/** What {@link useComposerMemory} gives the composer. */
export interface ComposerMemory {
  /** What the previous run left: drafts and sent lines per room key. */
  initial: Pick<UiMemory, 'drafts' | 'sent'>;
  onDraft(room: string, text: string): void;
  onSent(room: string, lines: readonly string[]): void;
}

/**
 * The composer's drafts and sent lines across restarts, kept with the room memory (`UiOptions.memory`,
 * the state directory's ui-state.json, written atomically): read once at mount; changes gathered for
 * {@link SAVE_DELAY_MS} and written together, and at unmount (quit). A kill -9 loses at most the last
 * half second of typing, never the file. Without `memory` nothing is kept.
 */
export function useComposerMemory(memory: UiMemoryStore | undefined): ComposerMemory {
  const initial = useRef<Pick<UiMemory, 'drafts' | 'sent'> | null>(null);
  if (initial.current === null) {
    const m = memory?.load() ?? {};
    initial.current = { ...(m.drafts ? { drafts: m.drafts } : {}), ...(m.sent ? { sent: m.sent } : {}) };
  }
  const state = useRef({ drafts: { ...initial.current.drafts }, sent: { ...initial.current.sent } });
  const timer = useRef<NodeJS.Timeout | undefined>(undefined);
  const flush = useCallback(() => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = undefined;
    const keep = <T,>(r: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(r).slice(-MAX_ROOMS_REMEMBERED));
    memory?.save({ drafts: keep(state.current.drafts), sent: keep(state.current.sent) });
  }, [memory]);
  const later = useCallback(() => {
    if (!memory || timer.current) return;
    timer.current = setTimeout(flush, SAVE_DELAY_MS);
    timer.current.unref?.();
  }, [memory, flush]);
  useEffect(() => () => {
    if (timer.current) flush();
  }, [flush]);
  const onDraft = useCallback((room: string, text: string) => {
    const d = state.current.drafts;
    if ((d[room] ?? '') === text) return;
    delete d[room];
    if (text) d[room] = text;
    later();
  }, [later]);
  const onSent = useCallback((room: string, lines: readonly string[]) => {
    delete state.current.sent[room];
    state.current.sent[room] = lines.slice(-MAX_SENT_REMEMBERED);
    later();
  }, [later]);
  return { initial: initial.current, onDraft, onSent };
}
