import { Command } from 'commander';
import type { NamedProfile } from '../../core/profile.js';
import { ExitCode, out } from '../io.js';
import { loadDemo, loadRuntime, loadUi, requireTty, type DemoServerLike } from '../lazy.js';
import { intParser } from '../options.js';

/** Quotes a word for a POSIX shell when it needs it. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The `chat-tui profile add …` line that points a profile at a running demo server. */
export function demoProfileLine(server: DemoServerLike, name = 'demo'): string {
  const words = [
    'chat-tui', 'profile', 'add', name, '--service', 'chatapi', '--url', server.url, '--token', server.token,
    '--user-id', server.userId, '--user-name', server.userName,
    ...server.rooms.flatMap((r) => ['--room', r]),
  ];
  return words.map(shellQuote).join(' ');
}

/** The in-memory profile of the demo (never written to the config). */
export function demoProfile(server: DemoServerLike): NamedProfile {
  return {
    name: 'demo',
    service: 'chatapi',
    url: server.url,
    token: server.token,
    rooms: [...server.rooms],
    userId: server.userId,
    userName: server.userName,
  };
}

/** Resolves on SIGINT/SIGTERM/SIGHUP. */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      process.off('SIGHUP', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
    process.on('SIGHUP', done);
  });
}

/**
 * `chat-tui demo [--serve] [--port N]` (issue 3 §8): starts the built-in demo server (chatapi protocol) on
 * 127.0.0.1 and opens the TUI on it with an in-memory profile `demo` — no configuration read or written.
 * `--serve` only runs the server and prints the `profile add` line to use it, until interrupted (exit 0).
 */
export function demoCommand(): Command {
  return new Command('demo')
    .description('chat against the built-in demo server (offline, no setup)')
    .option('--serve', 'only run the demo server and print the profile add line for it')
    .option('--port <n>', 'port of the demo server (default: any free port)', intParser(0, 65535))
    .option('--mouse', 'enable mouse wheel scrolling and clicks')
    .option('--no-color', 'no colours (NO_COLOR is honoured too)')
    .action(async (o: { serve?: boolean; port?: number; mouse?: boolean }) => {
      if (!o.serve) requireTty();
      // The TUI's modules (Ink, React) start loading now, alongside the server and the connection
      // (issue 8 `startup_ms`); `--serve` never loads them.
      const ui = o.serve ? undefined : loadUi();
      ui?.catch(() => undefined); // awaited below; a failure is reported there
      const { startDemoServer } = await loadDemo();
      const opts: { port?: number } = {};
      if (o.port !== undefined) opts.port = o.port;
      const server = await startDemoServer(opts);
      try {
        if (o.serve || !ui) {
          out(`demo server listening on ${server.url} (Ctrl-C to stop)`);
          out('use it with:');
          out(`  ${demoProfileLine(server)}`);
          out('  chat-tui --profile demo');
          await untilSignal();
          return;
        }
        const { ChatRuntime } = await loadRuntime();
        const runtime = new ChatRuntime({
          profiles: [demoProfile(server)],
          resolveToken: async (p) => p.token,
          saveProfile: async () => {},
        });
        // Connect while the UI loads: the sockets open and the room list is asked for meanwhile.
        void runtime.start().catch(() => undefined);
        const { runTui } = await ui;
        const tuiOpts: Parameters<typeof runTui>[0] = { runtime, title: 'chat-tui demo' };
        if (o.mouse) tuiOpts.mouse = true;
        const code = await runTui(tuiOpts);
        if (code !== 0) throw new ExitCode(code);
      } finally {
        await server.close().catch(() => {});
      }
    });
}
