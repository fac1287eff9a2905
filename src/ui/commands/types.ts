import type { Capabilities } from '../../core/connector.js';
import type { UiRuntime, UiStore } from '../types.js';

/**
 * The shape of a slash command (gemini-cli's ui/commands style): a small object per command, listed
 * by the registry (registry.ts), which the parser, the help overlay and the composer's completion read.
 */

/** The capabilities that are on/off flags (what a command may need). */
export type FlagCapability = { [K in keyof Capabilities]-?: Capabilities[K] extends boolean ? K : never }[keyof Capabilities];

/** What a command may do to the app. Built per submit by the composer hook. */
export interface CommandContext {
  runtime: UiRuntime;
  store: UiStore;
  /** The shown room's key, if a room is shown. */
  activeKey: string | undefined;
  /** The shown profile (the active room's, else the first one). */
  profile: string | undefined;
  /** A one-line notice in the status line (`error` unless said). */
  notify(text: string, level?: 'info' | 'error'): void;
  /** Shows a room (a switch the user asked for). */
  pick(key: string): void;
  /** Leaves the app with an exit code (default 0). */
  quit(code?: number): void;
  openHelp(): void;
  toggleMembers(): void;
  /** Resends the newest failed message of the shown room. */
  retry(): void;
  /** Reconnects the shown profile now. */
  reconnect(): void;
  /** Scrolls the shown room back to its bottom. */
  scrollToBottom(): void;
  /** Drops the shown room's loaded messages from view; it stays empty until the user scrolls up. */
  clearRoom(): void;
  /** Moves the shown room to number `n` (1-based) of the room list; the order is remembered. */
  moveRoom(n: number): void;
  /** Opens the search overlay on `text`: the archive's hits, or with `loaded` the shown room's loaded messages (absent where the app has no search). */
  openSearch?(text: string, opts?: { loaded?: boolean }): void;
  /** Opens the URL picker of the shown room (absent where the app has none). */
  openUrls?(): void;
  /** Opens copy mode of the shown room (absent where the app has none). */
  openCopy?(): void;
  /** Opens the status buffer (absent where the app has none). */
  openStatus?(): void;
}

/** The words after a command's name: split on blanks (`args`) and as typed (`rest`). */
export interface CommandArgs {
  args: string[];
  rest: string;
}

/** One slash command. */
export interface SlashCommand {
  /** Typed after the slash, lower case. */
  name: string;
  /** Argument synopsis for help and the usage line (`ROOM`, `[USER|ID]`; '' for none). */
  usage: string;
  /** One line for the help overlay. */
  description: string;
  /** Minimum number of arguments (default 0); fewer is the usage line. */
  minArgs?: number;
  /**
   * The capability the shown profile needs (several: any of them): without it the command is hidden
   * from help and completion, and typing it says `unavailable`.
   */
  capability?: FlagCapability | readonly FlagCapability[];
  /** Why the command is unavailable without its capability (after `/name: `). */
  unavailable?: string;
  /** Runs it. `'keep'` leaves the composer's text (the user may fix it); anything else clears it. */
  run(ctx: CommandContext, args: CommandArgs): 'keep' | void;
}

/** Shows an error and keeps the composer's text (`return fail(ctx, '…')` in a command). */
export function fail(ctx: CommandContext, text: string): 'keep' {
  ctx.notify(text);
  return 'keep';
}

/** Turns a rejection into an error notice (for a runtime call a command started). */
export function notifyError(ctx: CommandContext): (e: unknown) => void {
  return (e) => ctx.notify(e instanceof Error ? e.message : String(e));
}
