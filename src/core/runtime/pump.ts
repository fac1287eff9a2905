import { toChatError } from '../errors.js';
import type { ChatError } from '../errors.js';
import type { OutboxEntry } from './outbox.js';
import { recordEvent } from './archive.js';
import { meOf, redact } from './context.js';
import { lookBeforeResend, mayBeStored } from './resend.js';
import type { ProfileRun, RuntimeContext } from './context.js';

/**
 * The outbox pump: per profile, the queued sends go out one at a time, in send order, while the
 * profile is connected. A network error waits (backoff, cut short by a reconnect) and tries again up
 * to `maxSendAttempts`; a rate limit waits its `retryAfterMs` (never cut short) and keeps the order;
 * a refusal makes the send failed (kept, retryable). A send whose earlier try may have reached the
 * server (a network or protocol failure, a retry by hand) is looked for on the server before it is
 * posted again (resend.ts): the live echo, else the room's newest messages — never two copies.
 */

/** Longest rate-limit wait (ms): a longer `retryAfterMs` is cut to it, then the send is tried again. */
const MAX_RATE_WAIT_MS = 5 * 60_000;

/** Restores persisted entries into the store: queued ones show pending, failed ones failed. */
export function restoreOutbox(c: RuntimeContext): void {
  showOutboxEntries(c, c.outbox.load());
  c.outbox.save();
}

/** Shows outbox entries as echoes (queued ones pending, failed ones failed) and returns the runs they belong to. */
export function showOutboxEntries(c: RuntimeContext, entries: readonly OutboxEntry[]): Set<ProfileRun> {
  const runs = new Set<ProfileRun>();
  for (const e of entries) {
    const run = c.runs.get(e.profile);
    if (!run) continue; // kept in the outbox for when that profile is loaded again
    runs.add(run);
    const author = e.author ?? meOf(c, run);
    c.store.addLocalEcho(e.profile, e.room, e.txnId, e.text, author, { time: e.time });
    if (e.status === 'failed') c.store.failSend(e.profile, e.txnId, e.error ?? 'not sent');
  }
  return runs;
}

/**
 * Starts the profile's outbox pump unless it runs. `reconnected`: a new connection ends a pause
 * after a network error at once (a rate-limit pause is always waited out).
 */
export function kick(c: RuntimeContext, run: ProfileRun, reconnected = false): void {
  if (run.pumping) {
    if (reconnected && run.pauseKind === 'network') run.wake?.();
    return;
  }
  void pump(c, run);
}

/** Marks an entry failed with `reason`, in the outbox and on its echo. */
export function failEntry(c: RuntimeContext, entry: OutboxEntry, reason: string): void {
  c.outbox.update(entry.txnId, { status: 'failed', error: reason });
  c.store.failSend(entry.profile, entry.txnId, reason);
}

/** Waits `ms` (or until woken: stop(), or a reconnect for a network pause). */
async function pause(run: ProfileRun, ms: number, kind: 'network' | 'rate'): Promise<void> {
  await new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      run.wake = undefined;
      run.pauseKind = undefined;
      resolve();
    }
    run.wake = done;
    run.pauseKind = kind;
  });
}

/**
 * Sends the profile's queued entries one at a time, in order. Stops when the profile is not
 * connected (the next `connected` event kicks it again) or the queue is empty.
 */
async function pump(c: RuntimeContext, run: ProfileRun): Promise<void> {
  run.pumping = true;
  const name = run.profile.name;
  try {
    while (!c.stopped) {
      const entry = run.connected ? c.outbox.head(name) : undefined;
      const session = run.session;
      if (!entry || !session) break;
      if (!c.outbox.claim(entry.txnId)) break; // not ours to send (now): the next kick looks again
      let err: ChatError | undefined;
      try {
        // A try that failed after it went out may be on the server: look before posting it again.
        const looked = mayBeStored(entry) ? await lookBeforeResend(c, run, session, entry) : undefined;
        if (looked && 'echoed' in looked) {
          c.outbox.remove(entry.txnId);
          continue;
        }
        const msg = looked ? looked.copy : await session.send(entry.room, entry.text, entry.txnId);
        const confirmed = { ...msg, profile: name, room: msg.room || entry.room, txnId: entry.txnId };
        c.store.confirmSend(name, entry.txnId, confirmed);
        recordEvent(c, confirmed);
        c.outbox.remove(entry.txnId);
        continue;
      } catch (e) {
        err = toChatError(e);
      }
      if (c.stopped) break; // stays `sending` in the outbox → failed on next start
      const message = redact(run, err.message);
      if (err.code === 'rate_limited') {
        // Rate limits slow the outbox down; order is kept because this entry stays the head.
        const waits = entry.rateLimited + 1;
        if (waits > c.maxRateLimitWaits) {
          failEntry(c, entry, `rate limited: ${message}`);
          continue;
        }
        c.outbox.update(entry.txnId, { status: 'queued', rateLimited: waits });
        const delay = err.retryAfterMs ?? run.backoff.nextDelay();
        await pause(run, Math.max(0, Math.min(delay, MAX_RATE_WAIT_MS)), 'rate');
        continue;
      }
      if (err.retryable) {
        const attempts = entry.attempts + 1;
        if (attempts >= c.maxSendAttempts) {
          failEntry(c, entry, `not confirmed after ${attempts} attempts: ${message}`);
          continue;
        }
        c.outbox.update(entry.txnId, { status: 'queued', attempts });
        // Wait, then go on if still connected; otherwise the next `connected` kicks the pump.
        await pause(run, run.backoff.nextDelay(), 'network');
        continue;
      }
      failEntry(c, entry, message);
    }
  } finally {
    run.pumping = false;
    run.wake = undefined;
  }
}
