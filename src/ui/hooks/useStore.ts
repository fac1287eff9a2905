import { useCallback, useRef, useSyncExternalStore } from 'react';
import { useUi } from '../context.js';
import type { UiSnapshot } from '../types.js';

/**
 * Subscribes a component to a slice of the store ("subscription with selectors",
 * batching): `useSyncExternalStore` over `store.subscribe` / `store.getState`. The component
 * re-renders only when `isEqual(previous, next)` is false (default `Object.is`; RoomState objects
 * are replaced when they change, so selecting one room is enough). The selector may be an inline
 * function: results are cached per snapshot and per selector.
 */
export function useStore<T>(selector: (s: UiSnapshot) => T, isEqual: (a: T, b: T) => boolean = Object.is): T {
  const { store } = useUi();
  const cache = useRef<{ snap: UiSnapshot; sel: (s: UiSnapshot) => T; value: T } | null>(null);
  const subscribe = useCallback((l: () => void) => store.subscribe(l), [store]);
  const get = (): T => {
    const snap = store.getState();
    const c = cache.current;
    if (c && c.snap === snap && c.sel === selector) return c.value;
    const v = selector(snap);
    if (c && isEqual(c.value, v)) {
      cache.current = { snap, sel: selector, value: c.value };
      return c.value;
    }
    cache.current = { snap, sel: selector, value: v };
    return v;
  };
  return useSyncExternalStore(subscribe, get, get);
}

/** Shallow equality of arrays / plain objects (one level), for selectors that build new objects. */
export function shallowEqual<T>(a: T, b: T): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!Object.is((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}
