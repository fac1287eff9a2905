import { InvalidArgumentError, Option } from 'commander';

/** Commander option parsers and shared options of the subcommands. */

/** Collects a repeatable option into an array (`--room a --room b`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Parses a positive integer (`--limit`, `--port` 0 allowed via `min`). Throws InvalidArgumentError (exit 2). */
export function intParser(min: number, max: number): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`not a whole number: ${value.slice(0, 40)}`);
    const n = Number(value.trim());
    if (n < min || n > max) throw new InvalidArgumentError(`must be between ${min} and ${max}`);
    return n;
  };
}

/** Collects `--alias ID=NAME` into a record. */
export function collectAlias(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const i = value.indexOf('=');
  if (i <= 0 || i === value.length - 1) throw new InvalidArgumentError(`expected ID=NAME, got ${value.slice(0, 60)}`);
  return { ...(previous ?? {}), [value.slice(0, i)]: value.slice(i + 1) };
}

/** `--profile NAME` (required on the headless commands). */
export function profileOption(): Option {
  return new Option('-p, --profile <name>', 'profile to use (see: chat-tui profile list)').env('CHAT_TUI_PROFILE').makeOptionMandatory();
}

/** `--json`: NDJSON events on stdout. */
export function jsonOption(): Option {
  return new Option('--json', 'print one JSON object a line (NDJSON)');
}
