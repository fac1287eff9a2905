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
