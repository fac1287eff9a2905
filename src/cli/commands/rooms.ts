import { Command } from 'commander';
import type { RoomInfo } from '../../core/connector.js';
import { toChatError } from '../../core/errors.js';
import { sanitizeLine } from '../../core/sanitize.js';
import { jsonOut, out } from '../io.js';
import { jsonOption, profileOption } from '../options.js';
import { createSession, loadProfile, safeRooms } from '../session.js';

/**
 * `chat-tui rooms --profile NAME [--json]` (conformance README): the account's rooms from the server when
 * the service can list them (capability `roomListing`), else the profile's rooms as the session resolved
 * them. Plain: `id  name  — topic` a line; `--json`: `{"type":"room","profile","room","name","topic"?}`.
 */
export function roomsCommand(): Command {
  return new Command('rooms')
    .description("list the profile's rooms")
    .addOption(profileOption())
    .addOption(jsonOption())
    .action(async (o: { profile: string; json?: boolean }) => {
      const loaded = await loadProfile(o.profile);
      const s = createSession(loaded);
      try {
        await s.connect();
        let rooms: RoomInfo[] = safeRooms(s.session);
        if (s.session.capabilities.roomListing && s.session.listRooms) {
          try {
            const listed = await s.session.listRooms();
            const seen = new Set(listed.map((r) => r.id));
            rooms = [...listed, ...rooms.filter((r) => !seen.has(r.id))];
          } catch (err) {
            throw toChatError(err);
          }
        }
        printRooms(o.profile, rooms, o.json === true);
      } finally {
        await s.close();
      }
    });
}

/** Prints rooms (see `roomsCommand`). Names that are empty fall back to the id. */
export function printRooms(profile: string, rooms: RoomInfo[], json: boolean): void {
  if (json) {
    for (const r of rooms) {
      const o: Record<string, unknown> = { type: 'room', profile, room: sanitizeLine(r.id), name: sanitizeLine(r.name || r.id) };
      if (r.topic) o.topic = sanitizeLine(r.topic);
      if (r.live !== undefined) o.live = r.live;
      jsonOut(o);
    }
    return;
  }
  if (!rooms.length) {
    out('(no rooms)');
    return;
  }
  const w = Math.min(40, Math.max(...rooms.map((r) => sanitizeLine(r.id).length)));
  for (const r of rooms) {
    const id = sanitizeLine(r.id);
    const name = sanitizeLine(r.name || '');
    const topic = r.topic ? `  — ${sanitizeLine(r.topic)}` : '';
    out(`${id.padEnd(w)}  ${name && name !== id ? name : ''}${topic}`.trimEnd());
  }
}
