import { Command } from 'commander';
import { BoundedSet } from '../../core/connection/bounded-set.js';
import { ChatError, toChatError, UsageError } from '../../core/errors.js';
import type { ChatEvent, ConnectionEvent, ErrorEvent } from '../../core/events.js';
import { formatMessage, formatOther, jsonLine, learnRooms, toJsonEvent, type RoomNames } from '../format.js';
import { EXIT_FAIL, EXIT_OK, ExitCode, describeError, errLine, flushStdout, jsonLineOut, jsonOut, out } from '../io.js';
import { collect, jsonOption, profileOption } from '../options.js';
import { createSession, loadProfile, safeRooms } from '../session.js';

/**
 * How many message ids `tail` remembers per room to print each message once (oldest forgotten first): at
 * least the last 10,000 of each room, more than a reconnect's catch-up brings back.
 */
export const TAIL_SEEN_LIMIT = 20_000;

export { BoundedSet }; // the one bounded id set: src/core/connection/bounded-set.ts

/**
 * Message ids seen, per room: a {@link BoundedSet} of ids for each room, so the hot path hashes the id the
 * connector parsed (no `room + id` string built, flattened and hashed per message). Each room remembers
 * at least the last `limit / 2` ids.
 */
export class SeenPerRoom {
  private readonly rooms = new Map<string, BoundedSet>();
  private lastRoom: string | undefined;
  private lastSet: BoundedSet | undefined;
  constructor(private readonly limit: number) {}
  /** Adds `id` of `room`; returns false when it was already there. */
  add(room: string, id: string): boolean {
    if (room !== this.lastRoom || !this.lastSet) {
      let set = this.rooms.get(room);
      if (!set) this.rooms.set(room, (set = new BoundedSet(Math.max(1, Math.floor(this.limit / 2)))));
      this.lastRoom = room;
      this.lastSet = set;
    }
    return this.lastSet.add(id);
  }
}

/** A connection event without its `reason`. */
function withoutReason(ev: ConnectionEvent): ConnectionEvent {
  const { reason: _said, ...rest } = ev;
  return rest;
}

/**
 * `chat-tui tail --profile NAME [--room ROOM ...] [--json]` (conformance README): connects and prints
 * events until SIGINT/SIGTERM, then disconnects and exits 0. Each message is printed once (by room and
 * id) across reconnects. `--json` prints every contract event (message, edits, deletes, typing,
 * presence, connection, error, notice, gap); plain prints messages/edits/deletes on stdout and
 * connection/error/notice/gap lines on stderr. A refused first connection (auth, not found…) or a
 * profile-wide `failed` state ends with exit 1.
 */
export function tailCommand(): Command {
  return new Command('tail')
    .description('print live events until interrupted (Ctrl-C)')
    .addOption(profileOption())
    .option('-r, --room <room>', "room to follow (repeatable; default: the profile's rooms)", collect)
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
--json prints one event a line: message, message.edit, message.delete, typing, presence, connection,
error, notice, gap (each with "type" and "profile"; times are ISO 8601 UTC). Each message is printed
once, in order, across reconnects. Plain output: one message a line on stdout; connection state,
errors and notices on stderr. Exit: 0 on Ctrl-C/SIGTERM, 1 when the connection is refused.`,
    )
    .action(async (o: { profile: string; room?: string[]; json?: boolean }) => {
      const loaded = await loadProfile(o.profile, { rooms: o.room });
      const seen = new SeenPerRoom(TAIL_SEEN_LIMIT);
      const names: RoomNames = new Map();
      /** Last connection state per room (services with one socket per room report per room). */
      const roomStates = new Map<string, string>();
      let printedErrors = 0;
      let finish!: (code: number) => void;
      const finished = new Promise<number>((resolve) => {
        finish = resolve;
      });

      let interrupted = false;
      let reported = false;
      let lastError: ErrorEvent | undefined;
      /** Errors already printed, by code and words: one cause (an API key refused by every room's socket) is said once. */
      const saidErrors = new Set<string>();
      const errorKey = (code: string, message: string): string => `${code}\u0000${message}`;
      /** Ends with one stderr line (and an error event with --json when none was printed yet). */
      const fail = (e: ChatError | UsageError): void => {
        if (reported || interrupted) return;
        reported = true;
        if (o.json && printedErrors === 0 && e instanceof ChatError) {
          jsonOut(toJsonEvent({ type: 'error', profile: o.profile, code: e.code, message: e.message.split('\n')[0] ?? '' }));
        }
        // Plain output already showed this error on stderr; --json keeps its one summary line.
        if (o.json || !(e instanceof ChatError) || !saidErrors.has(errorKey(e.code, e.message))) errLine(describeError(e));
        finish(e instanceof UsageError ? 2 : EXIT_FAIL);
      };

      const onEvent = (ev: ChatEvent): void => {
        if (ev.type === 'room') {
          if (ev.name) names.set(ev.room, ev.name);
          return;
        }
        if (ev.type === 'message' && !seen.add(ev.room, ev.id)) return;
        if (ev.type === 'error') {
          lastError = ev;
          const key = errorKey(ev.code, ev.message);
          if (saidErrors.has(key)) return;
          saidErrors.add(key);
          printedErrors++;
        }
        // A failure whose reason was just said as an error: the state, without the words again.
        const shown: ChatEvent = ev.type === 'connection' && ev.reason !== undefined && lastError?.message === ev.reason ? withoutReason(ev) : ev;
        if (o.json) {
          const line = jsonLine(ev, { names });
          if (line !== undefined) jsonLineOut(line);
        } else if (ev.type === 'message') {
          out(formatMessage(ev, names));
        } else {
          const f = formatOther(shown, names);
          if (f) (f.stream === 'stdout' ? out : errLine)(f.line);
        }
        // The profile failed, or (services with one socket per room) every room it follows did.
        if (ev.type === 'connection' && ev.room) roomStates.set(ev.room, ev.state);
        if (ev.type === 'connection' && ev.state === 'failed' && (!ev.room || [...roomStates.values()].every((st) => st === 'failed'))) {
          const said = lastError;
          fail(said ? new ChatError(said.code, said.message) : new ChatError('network', ev.reason ?? 'connection failed'));
        }
      };

      const s = createSession(loaded, onEvent);
      const onSignal = (): void => {
        interrupted = true;
        finish(EXIT_OK);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      process.on('SIGHUP', onSignal);
      s.connect(0, false).then(
        () => learnRooms(names, safeRooms(s.session)),
        (err: unknown) => fail(err instanceof UsageError ? err : toChatError(err)),
      );
      // tail runs until a signal: keep the event loop alive even when no socket or timer is pending
      // (otherwise Node would end the process with an "unsettled top-level await" warning, exit 13).
      const keepAlive = setInterval(() => {}, 1 << 30);
      const code = await finished;
      clearInterval(keepAlive);
      // A second signal while disconnecting ends at once.
      const force = (): void => {
        flushStdout();
        process.exit(code);
      };
      process.on('SIGINT', force);
      process.on('SIGTERM', force);
      await s.close(2000);
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
        process.off(sig, onSignal);
        process.off(sig, force);
      }
      if (code !== EXIT_OK) throw new ExitCode(code);
    });
}
