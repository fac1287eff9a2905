/**
 * WeeChat for the bench's side-by-side figures: found on PATH or installed from Debian
 * (`apt-get install weechat-curses`, only when running as root with apt-get), started in a 120×40 pty
 * with a clean home (`weechat -d TMPDIR`) and connected to the bench's IRC server (lib/irc.ts).
 *
 * Configuration, all through `-r` (WeeChat's "run command after startup"), nothing else changed:
 * - only the `irc` and `buflist` plugins are loaded (`-P irc,buflist`: the protocol and the buffer list,
 *   the counterparts of our connector and room list); no logger, no scripts, so WeeChat does no work
 *   that chat-tui does not do (disk logs would only make it look slower);
 * - `weechat.history.max_buffer_lines_number` = 10000, the same bound per buffer as chat-tui's default
 *   scrollback (`ui.scrollback` 10,000 a room), so that 10 × 10,000 lines are 100k lines held by both.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { startPty, tempDir, type PtyProcess } from './proc.js';

/** Where WeeChat is, or why the bench cannot run it. */
export type WeechatFound = { path: string; version: string } | { missing: string };

let found: WeechatFound | undefined;

function which(name: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : undefined;
}

/**
 * Finds `weechat` on PATH; when absent and this process is root with apt-get, installs Debian's
 * `weechat-curses` (bounded to 5 minutes). Returns the path and version, or the reason it is missing.
 */
export function findWeechat(log: (line: string) => void): WeechatFound {
  if (found) return found;
  let path = which('weechat');
  if (!path) {
    if (process.getuid?.() !== 0) return (found = { missing: 'weechat is not installed (apt-get install weechat-curses) and the bench is not root to install it' });
    if (!which('apt-get')) return (found = { missing: 'weechat is not installed and there is no apt-get to install it' });
    log('weechat: not found; installing weechat-curses with apt-get');
    const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'weechat-curses'], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    path = which('weechat');
    if (!path) return (found = { missing: `apt-get install weechat-curses failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split('\n').pop()?.slice(0, 200) ?? ''}` });
  }
  let version = '?';
  try {
    version = execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch {
    /* the version is for the log only */
  }
  return (found = { path, version });
}

/** Starts WeeChat in a `cols`×`rows` pty, connecting to 127.0.0.1:`port` as `bencher` and joining `channels`. */
export async function startWeechat(path: string, port: number, channels: string[], o: { cols: number; rows: number }): Promise<PtyProcess> {
  const home = tempDir('chat-tui-weechat-');
  const commands = [
    '/set weechat.history.max_buffer_lines_number 10000',
    `/server add bench 127.0.0.1/${port}`,
    // 3.x spells it ssl, 4.x tls; the unknown one is an error line in the core buffer, nothing else.
    '/set irc.server.bench.ssl off',
    '/set irc.server.bench.tls off',
    '/set irc.server.bench.nicks bencher',
    '/set irc.server.bench.username bencher',
    '/set irc.server.bench.realname bench',
    `/set irc.server.bench.autojoin ${channels.join(',')}`,
    '/connect bench',
  ];
  return startPty([path], ['-d', home, '-P', 'irc,buflist', '-r', commands.join(';')], { cols: o.cols, rows: o.rows, keepOutput: false });
}
