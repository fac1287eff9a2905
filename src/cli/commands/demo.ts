import { Command } from 'commander';
import type { NamedProfile } from '../../core/profile.js';
import { loadUiState, saveUiState } from '../../config/ui-state.js';
import { uiProblems } from '../../config/ui-validate.js';
import { config } from '../config.js';
import { ExitCode, errLine, out } from '../io.js';
import { loadDemo, loadRuntime, loadUi, requireTty, type DemoServerLike, uiOptionsFrom } from '../lazy.js';
import { intParser } from '../options.js';
import { ensureSecureDir, stateDir } from '../../config/paths.js';
import { ChatError } from '../../core/errors.js';
import { loadDemoIdentity, saveDemoPort, type DemoIdentity } from '../../demo/identity.js';
import type { DemoServerOptions } from '../../demo/server.js';

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
    protocol: 'docs', // the demo server speaks Doc B: no probe
  };
}

type StartDemo = (opts: DemoServerOptions) => Promise<DemoServerLike>;

/** Starts the demo server; a busy port is one line (ChatError `network`, exit 1) instead of the raw EADDRINUSE text. */
async function listenOn(start: StartDemo, opts: DemoServerOptions): Promise<DemoServerLike> {
  try {
    return await start(opts);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new ChatError('network', `port ${opts.port} is in use; try --port 0`);
    throw err;
  }
}

/**
 * `demo --serve`: the server keeps its API key per config directory and tries the port it had last
 * (src/demo/identity.ts), so the `profile add` line it printed before still works. An explicit `--port`
 * must be free; the remembered one falls back to any free port.
 */
async function startServing(start: StartDemo, port: number | undefined): Promise<DemoServerLike> {
  const dir = stateDir();
  let identity: DemoIdentity;
  try {
    ensureSecureDir(dir);
    identity = loadDemoIdentity(dir);
  } catch {
    identity = loadDemoIdentity(dir); // a directory we cannot create: a fresh key, not saved
  }
  let server: DemoServerLike;
  if (port === undefined && identity.port !== undefined) {
    try {
      server = await start({ token: identity.token, port: identity.port });
    } catch {
      server = await listenOn(start, { token: identity.token });
    }
  } else {
    server = await listenOn(start, { token: identity.token, ...(port !== undefined ? { port } : {}) });
  }
  if (server.port !== identity.port) saveDemoPort(dir, identity, server.port);
  return server;
}

/**
 * The config's `ui` section for the demo: its problems are said on stderr (one line each) like the
 * TUI's; a config file that cannot be read is no reason not to run the demo ({} then).
 */
function demoUiSection(): Record<string, unknown> {
  try {
    const ui = config().ui();
    for (const p of uiProblems(ui)) errLine(`warning: config ui: ${p}`);
    return ui;
  } catch {
    return {};
  }
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
 * `chat-tui demo [--serve] [--port N]`: starts the built-in demo server (chatapi protocol) on
 * 127.0.0.1 and opens the TUI on it with an in-memory profile `demo` — no profile read or written; the
 * config's `ui` section applies, and the last room and room order are remembered in the state directory.
 * `--serve` only runs the server and prints the `profile add` line to use it, until interrupted (exit 0);
 * its key and port are kept per config directory (`demo.json` in the state directory).
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
      // (bench `startup_ms`); `--serve` never loads them.
      const ui = o.serve ? undefined : loadUi();
      ui?.catch(() => undefined); // awaited below; a failure is reported there
      const { startDemoServer } = await loadDemo();
      const server = o.serve ? await startServing(startDemoServer, o.port) : await listenOn(startDemoServer, { ...(o.port !== undefined ? { port: o.port } : {}) });
      try {
        if (o.serve || !ui) {
          out(`demo server listening on ${server.url} (Ctrl-C to stop)`);
          out('use it with:');
          out(`  ${demoProfileLine(server)}`);
          out('  chat-tui --profile demo');
          await untilSignal();
          return;
        }
        const [{ ChatRuntime }, { getConnector }] = await Promise.all([loadRuntime(), import('../../connectors/index.js')]);
        const runtime = new ChatRuntime({
          profiles: [demoProfile(server)],
          getConnector,
          resolveToken: async (p) => p.token,
          saveProfile: async () => {},
        });
        // Connect while the UI loads: the sockets open and the room list is asked for meanwhile.
        void runtime.start().catch(() => undefined);
        const { runTui } = await ui;
        const dir = stateDir();
        const uiSection = demoUiSection();
        for (const p of uiProblems(uiSection)) runtime.store.addNotice('', 'error', `config ${p} (fix it: chat-tui doctor)`);
        const tuiOpts: Parameters<typeof runTui>[0] = {
          // The config's `ui` section (keys, time format, mouse, bell) applies to the demo too.
          ...uiOptionsFrom(uiSection),
          runtime,
          title: 'chat-tui demo',
          memory: { load: () => loadUiState(dir), save: (m) => void saveUiState(dir, m) },
        };
        if (o.mouse) tuiOpts.mouse = true;
        const code = await runTui(tuiOpts);
        if (code !== 0) throw new ExitCode(code);
      } finally {
        await server.close().catch(() => {});
      }
    });
}
