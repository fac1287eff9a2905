import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';

/**
 * A tmux driver for end-to-end tests: a private tmux server (`-L` socket of its own, so a user's
 * tmux is never touched), one session running a plain shell, keys in, screen out.
 */

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(ROOT, 'bin', 'chat-tui.js');

/** Whether tmux can be run here (tests skip with this reason otherwise). */
export function tmuxMissing(): string | undefined {
  const r = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : 'tmux is not installed';
}

/** Whether the compiled CLI exists (npm test builds first). */
export function buildMissing(): string | undefined {
  return fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js')) ? undefined : 'dist/ is not built (run npx tsc -p . or npm test)';
}

/** Whether the demo server is part of this build (the e2e tests drive `chat-tui demo`). */
export function demoMissing(): string | undefined {
  return fs.existsSync(path.join(ROOT, 'dist', 'demo', 'server.js')) ? undefined : 'the demo server (src/demo/server.ts) is not built yet';
}

let seq = 0;

/** One tmux session with a shell in it. */
export class Tmux {
  readonly socket = `chat-tui-e2e-${process.pid}-${++seq}`;
  readonly session = 'e2e';
  readonly home: string;
  private socketPath: string | undefined;
  private readonly ownHome: boolean;
  /** `home`: an existing home to run in (kept at close: a second session sees the first one's files). */
  constructor(readonly columns: number, readonly rows: number, home?: string) {
    this.ownHome = home === undefined;
    this.home = home ?? fs.mkdtempSync(path.join(os.tmpdir(), 'chat-tui-e2e-'));
  }

  private run(args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8', env: this.env() });
  }

  /** Env of the shell in the pane: no CI (Ink would not draw), our Node first on PATH, a private config dir. */
  env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env['CI'];
    delete env['NO_COLOR'];
    delete env['TMUX'];
    env['PATH'] = `${path.dirname(process.execPath)}:${env['PATH'] ?? ''}`;
    env['CHAT_TUI_CONFIG_DIR'] = path.join(this.home, 'config');
    env['HOME'] = this.home;
    env['PS1'] = '$ ';
    env['TERM'] = 'xterm-256color';
    return env;
  }

  /** Starts the session with `sh` in ROOT. */
  start(): void {
    this.run(['new-session', '-d', '-s', this.session, '-x', String(this.columns), '-y', String(this.rows), '-c', ROOT, 'sh']);
    this.run(['set-option', '-t', this.session, 'status', 'off']);
    this.socketPath = this.run(['display-message', '-p', '-t', this.session, '#{socket_path}']).trim() || undefined;
  }

  /** Types a literal string (no key names). */
  type(text: string): void {
    this.run(['send-keys', '-t', this.session, '-l', text]);
  }

  /** Sends tmux key names (`Enter`, `C-n`, `PageUp`, `F1` …). */
  keys(...names: string[]): void {
    this.run(['send-keys', '-t', this.session, ...names]);
  }

  /** Pastes text as a bracketed paste (`paste-buffer -p`). */
  paste(text: string): void {
    this.run(['set-buffer', '-b', 'e2e', text]);
    this.run(['paste-buffer', '-p', '-d', '-b', 'e2e', '-t', this.session]);
  }

  /** The visible screen as text. */
  capture(): string {
    return this.run(['capture-pane', '-p', '-t', this.session]);
  }

  /** Writes bytes straight to the pane's terminal (as another program writing to the tty would). */
  writeTty(bytes: string): void {
    fs.writeFileSync(this.display('#{pane_tty}'), bytes);
  }

  /** The visible screen with SGR attributes (`capture-pane -e`). */
  captureStyled(): string {
    return this.run(['capture-pane', '-p', '-e', '-t', this.session]);
  }

  /** A tmux format value of the pane, e.g. `#{alternate_on}`. */
  display(fmt: string): string {
    return this.run(['display-message', '-p', '-t', this.session, fmt]).trim();
  }

  resize(columns: number, rows: number): void {
    this.run(['resize-window', '-t', this.session, '-x', String(columns), '-y', String(rows)]);
  }

  /** Polls the screen until `pred` holds; throws with the last screen after `ms`. */
  async waitFor(pred: (screen: string) => boolean, what: string, ms = 15_000): Promise<string> {
    const end = Date.now() + ms;
    let screen = '';
    while (Date.now() < end) {
      screen = this.capture();
      if (pred(screen)) return screen;
      await delay(100);
    }
    throw new Error(`timed out waiting for ${what}; screen:\n${screen}`);
  }

  /** Kills the tmux server and removes the temp home. */
  close(): void {
    try {
      this.run(['kill-server']);
    } catch {
      /* already gone */
    }
    if (this.ownHome) fs.rmSync(this.home, { recursive: true, force: true });
    if (this.socketPath?.includes('chat-tui-e2e-')) fs.rmSync(this.socketPath, { force: true });
  }
}

/** Room names in the room list (rows starting with `›`/space, an optional number, then `#name`). */
export function roomNames(screen: string): string[] {
  return screen.split('\n').flatMap((l) => {
    const m = /^[›\s]\s?(?:\d+\s)?\s*#(\S+)/.exec(l);
    return m ? [m[1]!] : [];
  });
}

/** The shown room from the header row (`#name … [profile]`). */
export function header(screen: string): string {
  const first = screen.split('\n')[0] ?? '';
  return /│#(\S+)/.exec(first)?.[1] ?? '';
}

/** Message rows: `HH:MM  author │ text`. */
export function messageRows(screen: string): string[] {
  return screen.split('\n').filter((l) => /\d\d:\d\d\s+\S.* │ /.test(l));
}

/**
 * Starts `chat-tui demo` (or `command`) in a new `columns`×`rows` session (pushed on `sessions` for
 * cleanup) and waits until `ready` holds for the screen (default: three rooms listed).
 */
export async function startDemo(sessions: Tmux[], columns: number, rows: number, envPrefix = '', ready: (s: string) => boolean = (s) => roomNames(s).length >= 3, command = 'node bin/chat-tui.js demo', home?: string): Promise<Tmux> {
  const t = new Tmux(columns, rows, home);
  sessions.push(t);
  t.start();
  await t.waitFor((s) => /^[$#] ?$/m.test(s), 'shell prompt');
  t.type(`${envPrefix}${command}; echo "EXIT=$?"`);
  t.keys('Enter');
  await t.waitFor(ready, 'the app on screen', 20_000);
  return t;
}

/**
 * The bookkeeping of a tmux e2e file: why to skip it (no tmux, no build; undefined to run), the sessions
 * and servers it opens, closed by an `after` hook this registers.
 */
export function e2eSuite(): { skip: string | undefined; sessions: Tmux[]; closers: (() => Promise<void>)[] } {
  const sessions: Tmux[] = [];
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const t of sessions) t.close();
    for (const c of closers) await c();
  });
  return { skip: tmuxMissing() ?? buildMissing(), sessions, closers };
}
