import type { Capabilities } from '../../core/connector.js';
import { ban } from './ban.js';
import { clear } from './clear.js';
import { del } from './delete.js';
import { discard } from './discard.js';
import { dm } from './dm.js';
import { editCmd } from './edit.js';
import { help } from './help.js';
import { join } from './join.js';
import { lastlog } from './lastlog.js';
import { me } from './me.js';
import { members } from './members.js';
import { move } from './move.js';
import { nick } from './nick.js';
import { part } from './part.js';
import { profile } from './profile.js';
import { quit } from './quit.js';
import { reconnect } from './reconnect.js';
import { retry } from './retry.js';
import { search } from './search.js';
import { status } from './status.js';
import { timeout } from './timeout.js';
import { topic } from './topic.js';
import type { CommandArgs, SlashCommand } from './types.js';
import { unban } from './unban.js';
import { urls } from './urls.js';
import { copy } from './copy.js';
import { whois } from './whois.js';

/**
 * The slash command registry: every command in help order. `parseInput` decides whether a composer
 * line is text to send, a command, or an error (an unknown command is an error line and never
 * sent; `//text` sends `/text`). The help overlay and Tab completion list what the shown profile's
 * capabilities allow.
 */

/** Every slash command, in help order. */
export const COMMANDS: readonly SlashCommand[] = [help, join, part, dm, retry, discard, reconnect, members, move, clear, lastlog, search, urls, copy, status, profile, quit, me, topic, whois, nick, editCmd, del, timeout, ban, unban];

/** The capabilities a command is judged against (any subset of a profile's; undefined = none known). */
export type CommandCaps = Partial<Capabilities> | undefined;

/** Whether a command is available with these capabilities (unknown capabilities: only ungated commands). */
export function commandAvailable(cmd: SlashCommand, caps: CommandCaps): boolean {
  const need = cmd.capability;
  if (need === undefined) return true;
  return (typeof need === 'string' ? [need] : need).some((c) => caps?.[c] === true);
}

/** Result of `parseInput`. */
export type ParsedInput =
  | { kind: 'text'; text: string }
  | ({ kind: 'command'; name: string } & CommandArgs)
  | { kind: 'error'; message: string }
  | { kind: 'empty' };

/**
 * Parses a composer line. Leading/trailing blank lines are not sent; an all-blank text is `empty`.
 * `caps` are the shown profile's capabilities: a command without its capability is an error line.
 */
export function parseInput(raw: string, caps?: CommandCaps): ParsedInput {
  const text = raw.replace(/^\s*\n/, '').replace(/\s+$/, '');
  if (!text.trim()) return { kind: 'empty' };
  if (text.startsWith('//')) return { kind: 'text', text: text.slice(1) };
  if (!text.startsWith('/')) return { kind: 'text', text };
  const m = /^\/(\S*)\s*([\s\S]*)$/.exec(text);
  const name = (m?.[1] ?? '').toLowerCase();
  const rest = (m?.[2] ?? '').trim();
  const cmd = findCommand(name);
  if (!cmd) return { kind: 'error', message: `unknown command /${name || ''} — /help lists commands (start with // to send a slash)` };
  const args = rest ? rest.split(/\s+/) : [];
  if (!commandAvailable(cmd, caps)) return { kind: 'error', message: `/${cmd.name}: ${cmd.unavailable ?? `needs the ${cmd.capability ?? ''} capability`}` };
  if (args.length < (cmd.minArgs ?? 0)) return { kind: 'error', message: `usage: /${cmd.name} ${cmd.usage}` };
  return { kind: 'command', name: cmd.name, args, rest };
}

/** The command of a name (lower case, without the slash). */
export function findCommand(name: string): SlashCommand | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** Commands whose name starts with `prefix` (without the slash) and that `caps` allow, for Tab completion. */
export function completeCommand(prefix: string, caps?: CommandCaps): string[] {
  const p = prefix.toLowerCase();
  return COMMANDS.filter((c) => c.name.startsWith(p) && commandAvailable(c, caps)).map((c) => `/${c.name}`);
}

/** Help overlay rows [synopsis, description] of the commands `caps` allow, and how to send a leading slash. */
export function commandHelpLines(caps: CommandCaps): [string, string][] {
  const rows = COMMANDS.filter((c) => commandAvailable(c, caps)).map((c): [string, string] => [`/${c.name}${c.usage ? ` ${c.usage}` : ''}`, c.description]);
  return [...rows, ['//text', 'sends "/text"']];
}
