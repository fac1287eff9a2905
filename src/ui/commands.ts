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
}

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
];

/** Result of `parseInput`. */
export type ParsedInput =
  | { kind: 'text'; text: string }
  | { kind: 'command'; name: string; args: string[]; rest: string }
  | { kind: 'error'; message: string }
  | { kind: 'empty' };

/** Parses a composer line. Leading/trailing blank lines are not sent; an all-blank text is `empty`. */
export function parseInput(raw: string): ParsedInput {
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
  if (args.length < spec.min) return { kind: 'error', message: `usage: /${spec.name} ${spec.args}` };
  return { kind: 'command', name: spec.name, args, rest };
}

/** Commands whose name starts with `prefix` (without the slash), for Tab completion. */
export function completeCommand(prefix: string): string[] {
  const p = prefix.toLowerCase();
  return COMMANDS.filter((c) => c.name.startsWith(p)).map((c) => `/${c.name}`);
}
