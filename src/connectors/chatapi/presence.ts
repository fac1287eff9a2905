import type { UserRef } from '../../core/events.js';
import type { NameBook } from './names.js';

/**
 * One room's online list (Doc B `connection_status`, `user_joined`, `user_left`; facts §B2): kept as
 * id → name, bounded by `max` (a server announcing ever new users cannot grow it), emitted whole as a
 * `presence` list only when it changed.
 */
export class RoomPresence {
  private readonly online = new Map<string, string>();
  private last: string | undefined;
  private askedNames = false;

  constructor(
    private readonly names: NameBook,
    private readonly max: number,
    private readonly emit: (online: UserRef[]) => void,
    /** Looks up the names of bare ids once per room (participants list); best effort. */
    private readonly lookUp: () => Promise<UserRef[]>,
  ) {}

  /** The whole list (`connection_status`): entries beyond `max` are ignored. */
  replace(users: UserRef[]): void {
    this.online.clear();
    for (const u of users.slice(0, this.max)) this.online.set(u.id, u.name !== u.id ? u.name : this.names.nameOf(u.id));
    this.changed();
    if (!this.askedNames && users.some((u) => this.online.get(u.id) === u.id)) void this.learnNames();
  }

  /** A user joined (ignored when new and the list is full). */
  join(u: UserRef): void {
    if (!this.online.has(u.id) && this.online.size >= this.max) return;
    this.online.set(u.id, u.name);
    this.changed();
  }

  /** A user left. */
  leave(id: string): void {
    this.online.delete(id);
    this.changed();
  }

  /** Online lists carry bare ids: once per room, names come from the participants list and the list is said again. */
  private async learnNames(): Promise<void> {
    this.askedNames = true;
    try {
      for (const u of await this.lookUp()) {
        if (u.name === u.id) continue;
        this.names.learn(u);
        if (this.online.has(u.id)) this.online.set(u.id, u.name);
      }
      this.changed();
    } catch {
      // names stay ids
    }
  }

  private changed(): void {
    const online: UserRef[] = [...this.online].map(([id, name]) => ({ id, name }));
    const key = JSON.stringify(online);
    if (key === this.last) return;
    this.last = key;
    this.emit(online);
  }
}
