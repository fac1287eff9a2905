import { UsageError } from '../../core/errors.js';
import type { UserRef } from '../../core/events.js';

/**
 * User names learned from messages, joins and participant lists, for online lists that carry bare ids
 * (Doc B `connection_status`, facts §B2). Bounded: the oldest name is forgotten beyond `limit`.
 */
export class NameBook {
  private readonly names = new Map<string, string>();

  constructor(private readonly limit = 10_000) {}

  /** Remembers `u.name` for `u.id` (a bare id never replaces a known name). */
  learn(u: UserRef): void {
    const known = this.names.get(u.id);
    if (known === u.name || (known !== undefined && u.name === u.id)) return;
    this.names.set(u.id, u.name);
    if (this.names.size > this.limit) {
      const oldest = this.names.keys().next().value;
      if (oldest !== undefined) this.names.delete(oldest);
    }
  }

  /** The name learned for a user id, or the id itself. */
  nameOf(id: string): string {
    return this.names.get(id) ?? id;
  }
}

/**
 * The profile fields of a new display name (`/nick`): Doc B's `user_name` on the socket query and the
 * Python server's `display_name` in the Socket.IO auth both come from the profile's `userName`
 * (Doc B "Connection Parameters", facts §B4). Takes 1–100 characters with no control characters;
 * throws UsageError otherwise.
 */
export function nickPatch(name: string): { userName: string } {
  const n = name.trim();
  // eslint-disable-next-line no-control-regex
  if (!n || [...n].length > 100 || /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(n)) throw new UsageError('a display name is 1 to 100 characters, without control characters');
  return { userName: n };
}
