/**
 * Process helpers for the bench and the soak: a pseudo-terminal host (util-linux `script`), CPU and RSS
 * read from /proc, and a counting sink for a child's stdout. Linux only (the project's machine).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Repository root (bench/lib/ → ../..). */
export const ROOT = resolve(import.meta.dirname, '..', '..');
/** `node bin/chat-tui.js` — the built CLI (the bench builds first: `npm run bench` runs `npm run build`). */
export const CLI = [process.execPath, process.env.BENCH_CLI ?? join(ROOT, 'bin', 'chat-tui.js')];

const CLK_TCK = 100; // USER_HZ on Linux

/** CPU seconds (user + system) the process `pid` has used so far; NaN when it is gone. Source: proc(5) /proc/pid/stat fields 14, 15. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime is field 14 → index 11, stime field 15 → index 12.
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

/** Resident set size of `pid` in MiB (VmRSS of /proc/pid/status); NaN when it is gone. */
export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** A fresh temporary directory (config dirs, bench files). */
export function tempDir(prefix = 'chat-tui-bench-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Writes a chat-tui config with one chatapi profile per entry into `dir` by running `chat-tui profile add`
 * (the CLI's own way), so the bench does not depend on the config file format.
 */
export async function addChatapiProfile(configDir: string, name: string, o: { url: string; token: string; rooms: string[]; userId?: string; userName?: string }): Promise<void> {
  const args = ['profile', 'add', name, '--service', 'chatapi', '--url', o.url, '--token', o.token];
  for (const r of o.rooms) args.push('--room', r);
  args.push('--user-id', o.userId ?? 'bench_me', '--user-name', o.userName ?? 'Bench Me');
  const r = await run(CLI, args, { CHAT_TUI_CONFIG_DIR: configDir });
  if (r.code !== 0) throw new Error(`chat-tui profile add failed (${r.code}): ${r.stderr.trim().slice(0, 300)}`);
}

/** Runs a command to completion; resolves with its exit code and output. */
export function run(cmd: string[], args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const [exe, ...pre] = cmd;
    const p = spawn(exe as string, [...pre, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(t);
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Output of a pty-hosted program, as it arrived: `at` is `performance.now()` of this process. */
export interface PtyChunk {
  at: number;
  text: string;
}

/** A program running in a pseudo-terminal of `cols`×`rows` (util-linux `script`). */
export interface PtyProcess {
  /** pid of the program itself (the shell `exec`s it, so its pid is the shell's). */
  pid: number;
  script: ChildProcess;
  /** Every chunk of terminal output so far (bounded by `keepOutput`). */
  chunks: PtyChunk[];
  /** Listeners for each new chunk. */
  onData(listener: (c: PtyChunk) => void): () => void;
  /** Types into the terminal (keys as the terminal would send them). */
  write(keys: string): void;
  /** Ends the program (SIGTERM to it, then the script host), waits for exit. */
  stop(): Promise<void>;
  exited: Promise<number | null>;
}

/**
 * Starts `cmd args` in a pty of `cols`×`rows` through `script -qfec`, with `env` added. The pid of the
 * program is learnt from the shell (`echo $$` before `exec`), printed on a side channel file.
 * `keepOutput` false drops chunks after listeners saw them (long runs).
 */
export async function startPty(cmd: string[], args: string[], o: { cols: number; rows: number; env?: Record<string, string>; keepOutput?: boolean; spawnedAt?: (t: number) => void }): Promise<PtyProcess> {
  const dir = tempDir('chat-tui-pty-');
  const pidFile = join(dir, 'pid');
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const line = `stty cols ${o.cols} rows ${o.rows}; echo $$ > ${quote(pidFile)}; exec ${[...cmd, ...args].map(quote).join(' ')}`;
  writeFileSync(pidFile, '');
  o.spawnedAt?.(performance.now());
  const script = spawn('script', ['-qfec', line, '/dev/null'], {
    env: { ...process.env, TERM: 'xterm-256color', ...o.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const chunks: PtyChunk[] = [];
  const listeners = new Set<(c: PtyChunk) => void>();
  script.stdout!.setEncoding('utf8').on('data', (text: string) => {
    const c = { at: performance.now(), text };
    if (o.keepOutput !== false) chunks.push(c);
    for (const l of listeners) l(c);
  });
  script.stderr!.resume();
  const exited = new Promise<number | null>((r) => script.on('exit', (code) => r(code)));
  let pid = 0;
  for (let i = 0; i < 400 && !pid; i++) {
    await new Promise((r) => setTimeout(r, 5));
    const text = readFileSync(pidFile, 'utf8').trim();
    if (text) pid = Number(text);
  }
  if (!pid) throw new Error('pty: the program did not start');
  return {
    pid,
    script,
    chunks,
    onData(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    write: (keys) => void script.stdin!.write(keys),
    async stop() {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const timer = setTimeout(() => script.kill('SIGKILL'), 3000);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3500))]);
      clearTimeout(timer);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    },
    exited,
  };
}

/**
 * Strips terminal control sequences from text, to search what is on screen: CSI, OSC, character set
 * designations (`ESC ( B`, which curses programs such as WeeChat write around line-drawing characters),
 * other ESC pairs (`ESC =`, `ESC M` …) and C0 controls but newline.
 */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[()*+][ -~]|\u001b[0-~]|[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
}

/**
 * Counts lines of a child's stdout and calls `onMarker(at)` when a line contains `marker`
 * (`performance.now()` ms). Resolves the returned promise with that time.
 */
export function countingSink(child: ChildProcess, marker: string, onFirstLine?: (at: number) => void): { lines: () => number; done: Promise<number> } {
  let lines = 0;
  let tail = '';
  let first = true;
  const done = new Promise<number>((resolvePromise, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      const at = performance.now();
      for (let i = d.indexOf('\n'); i >= 0; i = d.indexOf('\n', i + 1)) lines++;
      if (first && lines > 0) {
        first = false;
        onFirstLine?.(at);
      }
      const text = tail + d;
      if (text.includes(marker)) resolvePromise(at);
      tail = text.slice(-marker.length);
    });
    child.on('exit', (code) => reject(new Error(`process exited (${code}) before the end of the stream`)));
  });
  return { lines: () => lines, done };
}
