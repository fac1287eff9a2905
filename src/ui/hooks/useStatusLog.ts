import { useCallback, useEffect, useRef } from 'react';
import type { MutableRefObject } from 'react';
import type { UiStore } from '../types.js';

/** One line of the status buffer: `time` ms since epoch; `profile` when a profile said it. */
export interface StatusEntry {
  time: number;
  level: 'info' | 'error';
  text: string;
  profile?: string;
}

/** Lines the status buffer keeps (the oldest go first beyond it). */
export const STATUS_CAP = 5000;

/**
 * The status buffer (WeeChat's core buffer): every notice and error of this run, oldest first — the
 * store's notices (connections, sends, connectors; read as they arrive, so none is lost to the store's
 * cap of 200) and the UI's own (`record`: command errors and confirmations). At most {@link STATUS_CAP}.
 */
export function useStatusLog(store: UiStore): { log: MutableRefObject<StatusEntry[]>; record(text: string, level: 'info' | 'error'): void } {
  const log = useRef<StatusEntry[]>([]);
  const push = (e: StatusEntry): void => {
    log.current.push(e);
    if (log.current.length > STATUS_CAP) log.current.splice(0, log.current.length - STATUS_CAP);
  };
  useEffect(() => {
    let lastId = -1;
    let lastList: unknown;
    const read = (): void => {
      const list = store.getState().notices;
      if (list === lastList) return;
      lastList = list;
      for (const n of list) {
        if (n.id <= lastId) continue;
        lastId = n.id;
        push({ time: n.time, level: n.level, text: n.text, profile: n.profile });
      }
    };
    read();
    return store.subscribe(read);
  }, [store]);
  const record = useCallback((text: string, level: 'info' | 'error') => push({ time: Date.now(), level, text }), []);
  return { log, record };
}
