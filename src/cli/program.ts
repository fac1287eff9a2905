import { createRequire } from 'node:module';
import { Command } from 'commander';
import type { TuiOptions } from './commands/tui.js';
import chalk from 'chalk';
import { redact, redactError } from '../config/secrets.js';
import { clipWords } from '../core/sanitize.js';
import { exitCodeFor, flushStdout, sink } from './io.js';
import { lacksProfile, pickDefaultProfile } from './options.js';

/** The package version (package.json next to dist/ or src/). */
export function packageVersion(): string {
  try {
    return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** Every command of a tree (commander settings are not inherited by `addCommand`, stack.md §3f). */
function allCommands(c: Command): Command[] {
  return [c, ...c.commands.flatMap(allCommands)];
}

/** A subcommand factory, imported when the command line needs it. */
type CommandLoader = () => Promise<() => Command>;

/**
 * The subcommands in `--help` order, each imported on demand (bench `startup_ms`): a run that names
 * its subcommand first (`chat-tui demo`, `chat-tui tail …`) imports only that command's module, so
 * `demo` never loads the config store or the other services' libraries.
 */
const SUBCOMMANDS: readonly (readonly [string, CommandLoader])[] = [
  ['profile', async () => (await import('./commands/profile.js')).profileCommand],
  ['rooms', async () => (await import('./commands/rooms.js')).roomsCommand],
  ['history', async () => (await import('./commands/history.js')).historyCommand],
  ['send', async () => (await import('./commands/send.js')).sendCommand],
  ['tail', async () => (await import('./commands/tail.js')).tailCommand],
  ['login', async () => (await import('./commands/login.js')).loginCommand],
  ['dm', async () => (await import('./commands/dm.js')).dmCommand],
  ['search', async () => (await import('./commands/search.js')).searchCommand],
  ['export', async () => (await import('./commands/export.js')).exportCommand],
  ['doctor', async () => (await import('./commands/doctor.js')).doctorCommand],
  ['demo', async () => (await import('./commands/demo.js')).demoCommand],
  ['completion', async () => (await import('./commands/completion.js')).completionCommand],
];

/**
 * True when `argv` holds only the root options that open the TUI (`-p/--profile NAME`, `--profile=NAME`,
 * `-pNAME`, `--mouse`, `--no-color`), nothing else: such a run needs no subcommand, so none is imported
 * (bench `warm_start_vs_ink_floor`: the twelve subcommand modules cost ~60 ms of the start). A missing
 * value (`-p` last) still counts: commander reports it exactly as in the full tree.
 */
export function onlyTuiOptions(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '-p' || a === '--profile') i++;
    else if (a === '--mouse' || a === '--no-color') continue;
    else if (!(a.startsWith('--profile=') || (a.startsWith('-p') && !a.startsWith('--') && a.length > 2))) return false;
  }
  return true;
}

/**
 * The commander program: one factory per subcommand, added with `addCommand`.
 * Every command gets `exitOverride` (errors become CommanderError for main to map: usage → exit 2,
 * help/version → 0), suggestions after a typo, and an error writer that keeps messages to one line.
 * The bare command opens the TUI (or the welcome when there is no profile).
 *
 * `argv` (without node and script) only decides what is imported: when its first word is a subcommand,
 * the program holds the root options and that one subcommand — commander then parses and reports
 * exactly as with the full tree, since a subcommand's parsing, help and errors never look at its
 * siblings. When argv holds only the TUI's root options (`onlyTuiOptions`), the program holds no
 * subcommand: that parse never reaches one. Anything else (root options before a subcommand, `help`,
 * `--help`, a typo) builds the full tree.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const only = SUBCOMMANDS.find(([name]) => name === argv?.[0]);
  const tuiOnly = !only && argv !== undefined && onlyTuiOptions(argv);
  const [factories, services] = await Promise.all([
    Promise.all((only ? [only] : tuiOnly ? [] : SUBCOMMANDS).map(([, load]) => load())),
    only || tuiOnly ? undefined : import('../connectors/index.js').then((m) => m.connectors.map((c) => c.id).join(', ')),
  ]);
  const program = new Command('chat-tui');
  // The description is shown only by the root's help, which a single-subcommand program never prints.
  if (services !== undefined) program.description(`A full-screen terminal chat client for ${services}, with headless tail/send/history/rooms.`);
  program
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('-p, --profile <name>', 'open only this profile')
    .option('--mouse', 'enable mouse wheel scrolling and clicks')
    .option('--no-color', 'no colours (NO_COLOR is honoured too)')
    .enablePositionalOptions()
    .helpCommand(true)
    .addHelpText(
      'after',
      `
Examples:
  chat-tui demo                                   try it against the built-in demo server
  chat-tui profile add work --service chatapi --url http://localhost:8000 --token KEY --room ROOM --user-id ID --user-name NAME
  chat-tui --profile work                         open the TUI
  chat-tui tail --profile work --json             live events as NDJSON
  chat-tui send --profile work --room ROOM "hello"

Exit codes: 0 ok, 1 the work failed (network, refused, auth), 2 bad usage or configuration.
Config: $CHAT_TUI_CONFIG_DIR, else the platform config directory (file mode 0600, directory 0700).`,
    )
    .action(async function (this: Command, o: TuiOptions) {
      if (this.args.length) {
        // Commander would run this action with the stray word; report it like an unknown command.
        (this as unknown as { unknownCommand(): void }).unknownCommand();
      }
      const { runTuiCommand } = await import('./commands/tui.js');
      await runTuiCommand(o);
    });

  for (const factory of factories) program.addCommand(factory());

  // `chat-tui --profile work tail` means `chat-tui tail --profile work`.
  program.hook('preSubcommand', (root, sub) => {
    const name = root.opts<{ profile?: string }>().profile;
    if (name && sub.options.some((o) => o.attributeName() === 'profile') && sub.getOptionValue('profile') === undefined) {
      sub.setOptionValueWithSource('profile', name, 'cli');
    }
  });

  // A command that needs a profile and was given none uses defaultProfile or the only profile.
  program.hook('preAction', async (_root, action) => {
    if (!lacksProfile(action)) return;
    const { config } = await import('./config.js');
    const store = config();
    action.setOptionValueWithSource('profile', pickDefaultProfile(store.list().map((p) => p.name), store.defaultProfile()), 'default');
  });

  for (const c of allCommands(program)) {
    c.exitOverride();
    c.showSuggestionAfterError(true);
    c.configureOutput({
      writeOut: (s) => sink.stdout(redact(s)),
      writeErr: (s) => sink.stderr(redact(s)),
      // One line: commander puts "(Did you mean …?)" on a second line; a word it quotes is cut short
      // (after redaction: a cut secret would no longer be recognised).
      outputError: (s, write) => write(clipWords(redactError(s).replace(/\s*\n(?=.)/g, ' ').replace(/\s*$/, '')) + '\n'),
    });
  }
  // The bare command takes no words; stray words are reported as an unknown command by the action.
  program.allowExcessArguments(true);
  return program;
}

/**
 * Runs the CLI with `argv` (without node and script) and resolves with the exit code (never throws).
 * `NO_COLOR` / `--no-color` set chalk's level to 0 (chalk 6 ignores NO_COLOR by itself, stack.md §3g).
 */
export async function run(argv: string[]): Promise<number> {
  if (process.env.NO_COLOR || argv.includes('--no-color')) chalk.level = 0;
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv, { from: 'user' });
    flushStdout();
    return 0;
  } catch (err) {
    // What the command printed goes out before its error line.
    flushStdout();
    return exitCodeFor(err);
  }
}
