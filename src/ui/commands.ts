import type { Capabilities } from '../core/connector.js';
import type { StoredMessage } from '../core/state.js';

/**
 * Slash commands of the composer (issue 9 "Slash commands"). `parseInput` decides whether a line is
 * text to send, a command, or an error; an unknown command is an error line and never sent;
 * `//text` sends `/text`.
 */

/** A command the TUI knows: name, argument synopsis and one-line help. */
export interface CommandSpec {
  name: string;
  args: string;
  help: string;
  /** Minimum number of arguments. */
  min: number;
  /**
   * The capability the profile needs for this command. Without it the command is hidden from help and
   * completion, and typing it is an error line (issue 4: "a capability: hidden where the account cannot
   * moderate").
   */
  needs?: 'moderation';
}

/** Every slash command, in help order; gated ones carry `needs` (issue 9 "Slash commands", issue 4 moderation). */
export const COMMANDS: CommandSpec[] = [
  { name: 'help', args: '', help: 'show keys and commands', min: 0 },
  { name: 'join', args: 'ROOM', help: 'open another room (channel, room id, slug)', min: 1 },
  { name: 'part', args: '', help: 'leave / close the current room', min: 0 },
  { name: 'dm', args: 'USER', help: 'start a direct conversation', min: 1 },
  { name: 'retry', args: '', help: 'resend the newest failed message', min: 0 },
  { name: 'reconnect', args: '', help: 'reconnect this profile now', min: 0 },
  { name: 'members', args: '', help: 'show / hide the member list', min: 0 },
  { name: 'clear', args: '', help: 'clear the loaded messages from view', min: 0 },
  { name: 'profile', args: 'NAME', help: 'switch to a profile', min: 1 },
  { name: 'quit', args: '', help: 'leave chat-tui', min: 0 },
  { name: 'delete', args: '[USER|ID]', help: 'delete the newest message, USER\'s newest, or one by id', min: 0, needs: 'moderation' },
  { name: 'timeout', args: 'USER', help: 'time a user out (Glimesh: 5 minutes)', min: 1, needs: 'moderation' },
  { name: 'ban', args: 'USER', help: 'ban a user from the channel', min: 1, needs: 'moderation' },
  { name: 'unban', args: 'USER', help: 'lift a ban', min: 1, needs: 'moderation' },
];

/** Whether a command is available with these capabilities (undefined capabilities: only ungated commands). */
export function commandAvailable(spec: CommandSpec, caps: Pick<Capabilities, 'moderation'> | undefined): boolean {
  return !spec.needs || Boolean(caps?.[spec.needs]);
}

/** Result of `parseInput`. */
export type ParsedInput =
  | { kind: 'text'; text: string }
  | { kind: 'command'; name: string; args: string[]; rest: string }
  | { kind: 'error'; message: string }
  | { kind: 'empty' };

/**
 * Parses a composer line. Leading/trailing blank lines are not sent; an all-blank text is `empty`.
 * `caps` are the shown profile's capabilities: a gated command without its capability is an error.
 */
export function parseInput(raw: string, caps?: Pick<Capabilities, 'moderation'>): ParsedInput {
  const text = raw.replace(/^\s*\n/, '').replace(/\s+$/, '');
  if (!text.trim()) return { kind: 'empty' };
  if (text.startsWith('//')) return { kind: 'text', text: text.slice(1) };
  if (!text.startsWith('/')) return { kind: 'text', text };
  const m = /^\/(\S*)\s*([\s\S]*)$/.exec(text);
  const name = (m?.[1] ?? '').toLowerCase();
  const rest = (m?.[2] ?? '').trim();
  const spec = COMMANDS.find((c) => c.name === name);
  if (!spec) return { kind: 'error', message: `unknown command /${name || ''} — /help lists commands (start with // to send a slash)` };
  const args = rest ? rest.split(/\s+/) : [];
  if (!commandAvailable(spec, caps)) return { kind: 'error', message: `/${spec.name}: no moderation rights here (only channel owners and moderators, on services that have moderation)` };
  if (args.length < spec.min) return { kind: 'error', message: `usage: /${spec.name} ${spec.args}` };
  return { kind: 'command', name: spec.name, args, rest };
}

/** Commands whose name starts with `prefix` (without the slash) and that `caps` allow, for Tab completion. */
export function completeCommand(prefix: string, caps?: Pick<Capabilities, 'moderation'>): string[] {
  const p = prefix.toLowerCase();
  return COMMANDS.filter((c) => c.name.startsWith(p) && commandAvailable(c, caps)).map((c) => `/${c.name}`);
}

/**
 * The message `/delete [USER|ID]` means, from a room's loaded messages (oldest first): with no argument
 * the newest message; with an argument equal to a message id that message; otherwise the newest message
 * whose author's name or id equals the argument (case-insensitive, a leading `@` ignored). Only sent,
 * not yet deleted chat messages count (no pending echoes, notices or gap markers).
 * Returns the message, or an error text for the user.
 */
export function pickMessageToDelete(messages: readonly StoredMessage[], arg: string): StoredMessage | { error: string } {
  const candidate = (m: StoredMessage): boolean => m.kind === 'normal' && !m.deleted && m.status === 'sent';
  const want = arg.trim();
  if (!want) {
    for (let i = messages.length - 1; i >= 0; i--) if (candidate(messages[i]!)) return messages[i]!;
    return { error: 'no message to delete in this room' };
  }
  const byId = messages.find((m) => m.id === want && candidate(m));
  if (byId) return byId;
  const who = want.replace(/^@/, '').toLowerCase();
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (candidate(m) && (m.author.name.toLowerCase() === who || m.author.id.toLowerCase() === who)) return m;
  }
  return { error: `no loaded message from ${who} or with that id` };
}
