import { Command } from 'commander';
import { ChatError, toChatError, UsageError } from '../../core/errors.js';
import type { ChatEvent } from '../../core/events.js';
import { pageHistory } from '../../core/history.js';
import { config } from '../config.js';
import { formatMessage, formatOther, learnRooms, toJsonEvent, type RoomNames } from '../format.js';
import { errLine, jsonOut, out } from '../io.js';
import { intParser, jsonOption, profileOption } from '../options.js';
import { createSession, findRoom, loadProfile, pickRoom, safeRooms } from '../session.js';

/** Default of `history --limit`. */
export const HISTORY_DEFAULT_LIMIT = 50;

/**
 * `chat-tui history --profile NAME --room ROOM [--limit N] [--json]` (conformance README): the latest N
 * messages of the room, oldest first (read in as many of the service's pages as N needs, core/history.ts), as `message` lines (`--json`) or plain lines. Notices and errors
 * the connector emits while fetching (e.g. "this list is not filtered by room") are printed too:
 * as events with `--json`, on stderr otherwise. A service without history is a usage error (exit 2: the profile cannot do this), one line naming `tail`.
 */
export function historyCommand(): Command {
  return new Command('history')
    .description("print a room's latest messages, oldest first")
    .addOption(profileOption())
    .option('-r, --room <room>', "room (default: the profile's only room)")
    .option('-n, --limit <n>', `how many messages (default ${HISTORY_DEFAULT_LIMIT})`, intParser(1, Infinity))
    .addOption(jsonOption())
    .action(async (o: { profile: string; room?: string; limit?: number; json?: boolean }) => {
      const room = pickRoom(config().require(o.profile), o.room, 'history');
      const loaded = await loadProfile(o.profile, { rooms: [room] });
      let fetching = false;
      const names: RoomNames = new Map();
      const show = (ev: ChatEvent): void => {
        if (!fetching || (ev.type !== 'notice' && ev.type !== 'error' && ev.type !== 'gap')) return;
        if (o.json) {
          const j = toJsonEvent(ev);
          if (j) jsonOut(j);
        } else {
          const f = formatOther(ev, names);
          if (f) errLine(f.line);
        }
      };
      const s = createSession(loaded, show);
      try {
        if (!s.session.capabilities.history || !s.session.history) {
          throw new UsageError(`${loaded.def.displayName} keeps no history that chat-tui can fetch; use: chat-tui tail --profile ${o.profile}`);
        }
        await s.connect();
        learnRooms(names, safeRooms(s.session));
        const id = await findRoom(s, room);
        fetching = true;
        let msgs;
        try {
          msgs = await pageHistory(s.session, id, { limit: o.limit ?? HISTORY_DEFAULT_LIMIT });
        } catch (err) {
          throw err instanceof UsageError || err instanceof ChatError ? err : toChatError(err);
        }
        const limit = o.limit ?? HISTORY_DEFAULT_LIMIT;
        // The connector returns oldest first (contract); we keep its order and only bound and de-duplicate.
        const sorted = msgs.slice(-limit);
        const seen = new Set<string>();
        for (const m of sorted) {
          const key = `${m.room}\u0000${m.id}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const ev = { ...m, profile: o.profile };
          if (o.json) jsonOut(toJsonEvent(ev));
          else out(formatMessage(ev, names));
        }
      } finally {
        fetching = false;
        await s.close();
      }
    });
}
