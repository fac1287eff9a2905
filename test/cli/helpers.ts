import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Helpers for CLI tests: spawn the built binary (`node bin/chat-tui.js`) with a temp config directory. */

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const bin = path.join(root, 'bin', 'chat-tui.js');

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A temp config dir and a runner bound to it. `dispose()` removes the dir. */
export class Cli {
  readonly home: string;
  readonly dir: string;
  readonly outputs: string[] = [];

  constructor() {
    this.home = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-tui-cli-'));
    this.dir = path.join(this.home, 'cfg');
  }

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { ...process.env, CHAT_TUI_CONFIG_DIR: this.dir, NO_COLOR: '1', FORCE_COLOR: '0', CI: '', ...extra };
  }

  /** Runs `chat-tui ...args` to its end (killed after `timeoutMs`). Every output is kept in `outputs`. */
  run(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Result> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [bin, ...args], { env: this.env(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        this.outputs.push(stdout, stderr);
        resolve({ code, signal, stdout, stderr });
      });
      child.stdin.end(opts.input ?? '');
    });
  }

  /** Starts a long-running command (tail); collect output from the returned object. */
  start(args: string[], env: NodeJS.ProcessEnv = {}): Running {
    const child = spawn(process.execPath, [bin, ...args], { env: this.env(env), stdio: ['ignore', 'pipe', 'pipe'] });
    const r: Running = {
      child,
      stdout: '',
      stderr: '',
      exited: new Promise((resolve) => child.on('close', (code, signal) => {
        this.outputs.push(r.stdout, r.stderr);
        resolve({ code, signal });
      })),
    };
    child.stdout!.on('data', (d) => (r.stdout += d));
    child.stderr!.on('data', (d) => (r.stderr += d));
    return r;
  }

  /** Writes config.json directly (to test list/show/remove without any connector). */
  writeConfig(value: unknown): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(this.dir, 'config.json'), JSON.stringify(value), { mode: 0o600 });
  }

  readConfig(): { profiles: Record<string, Record<string, unknown>> } {
    return JSON.parse(fs.readFileSync(path.join(this.dir, 'config.json'), 'utf8'));
  }

  dispose(): void {
    fs.rmSync(this.home, { recursive: true, force: true });
  }
}

export interface Running {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Polls `probe` every 25 ms until truthy; throws after `ms`. */
export async function waitFor<T>(probe: () => T | undefined | false | null, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Non-empty lines of a text. */
export const lines = (s: string): string[] => s.split('\n').filter((l) => l.trim() !== '');

/** True when a text looks like a stack trace. */
export const hasStack = (s: string): boolean => /^\s+at .+\(.*:\d+:\d+\)|^\s+at file:/m.test(s);

/** A port on 127.0.0.1 where nothing listens (bound, then closed). */
export async function deadPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
