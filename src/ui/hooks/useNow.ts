import { useEffect, useState } from 'react';

/** Current time (ms since epoch), refreshed every `intervalMs` while `active`; re-renders only its component. */
export function useNow(intervalMs: number, active = true): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    t.unref?.();
    return () => clearInterval(t);
  }, [intervalMs, active]);
  return now;
}
