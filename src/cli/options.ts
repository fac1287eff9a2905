import { InvalidArgumentError, Option } from 'commander';
import { UsageError } from '../core/errors.js';

/** Commander option parsers and shared options of the subcommands. */

/** Collects a repeatable option into an array (`--room a --room b`), each value once (`--room a --room a` is one room). */
export function collect(value: string, previous: string[] | undefined): string[] {
  if (previous?.includes(value)) return previous;
  return [...(previous ?? []), value];
}

/** Parses a whole number in [min, max] (`--limit`, `--port` 0 allowed via `min`; `max` may be Infinity). Throws InvalidArgumentError (exit 2). */
export function intParser(min: number, max: number): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`not a whole number: ${value.slice(0, 40)}`);
    const n = Number(value.trim());
    if (n < min || n > max) throw new InvalidArgumentError(max === Infinity ? `must be ${min} or more` : `must be between ${min} and ${max}`);
    return n;
  };
}

/** Collects `--alias ID=NAME` into a record. */
export function collectAlias(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const i = value.indexOf('=');
  if (i <= 0 || i === value.length - 1) throw new InvalidArgumentError(`expected ID=NAME, got ${value.slice(0, 60)}`);
  return { ...(previous ?? {}), [value.slice(0, i)]: value.slice(i + 1) };
}

/** The `--profile` options made by `profileOption()`: the commands that need a profile (filled in by `defaultProfileHook`). */
const needsProfile = new WeakSet<Option>();

/**
 * `--profile NAME` of the headless commands. Optional on the command line: without it (and without
 * `CHAT_TUI_PROFILE`) the program's preAction hook fills in the config's `defaultProfile` or the only
 * profile (`pickDefaultProfile`), and reports a usage error when there are several.
 */
export function profileOption(): Option {
  const o = new Option('-p, --profile <name>', 'profile to use (default: defaultProfile, or the only profile)').env('CHAT_TUI_PROFILE');
  needsProfile.add(o);
  return o;
}

/** Whether `cmd` takes a profile made by `profileOption()` and none was given. */
export function lacksProfile(cmd: { options: readonly Option[]; getOptionValue(key: string): unknown }): boolean {
  return cmd.options.some((o) => needsProfile.has(o)) && cmd.getOptionValue('profile') === undefined;
}

/**
 * The profile a command uses when none was named: `defaultProfile` when it is set (it must exist), else
 * the only profile. Takes the profile names and the configured default; returns a name. Throws UsageError
 * (exit 2) naming the choices when there are none or several.
 */
export function pickDefaultProfile(names: readonly string[], defaultProfile: string | undefined): string {
  if (defaultProfile !== undefined) {
    if (names.includes(defaultProfile)) return defaultProfile;
    throw new UsageError(`defaultProfile "${defaultProfile.slice(0, 64)}" names no profile; profiles: ${names.join(', ') || '(none)'}`);
  }
  if (names.length === 1) return names[0]!;
  if (!names.length) throw new UsageError('no profiles yet; add one with: chat-tui profile add NAME --service SERVICE … (or try: chat-tui demo)');
  throw new UsageError(`several profiles (${names.join(', ')}): pick one with --profile NAME, or set one with: chat-tui profile default NAME`);
}

/** `--json`: NDJSON events on stdout. */
export function jsonOption(): Option {
  return new Option('--json', 'print one JSON object a line (NDJSON)');
}
