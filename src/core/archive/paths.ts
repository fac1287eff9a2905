import os from 'node:os';
import path from 'node:path';

/**
 * Where the archive database lives. When `CHAT_TUI_CONFIG_DIR` is set, next to the config (so a test or
 * a portable setup keeps everything in one directory); otherwise in the platform's data directory, since
 * message history is user data, not configuration (XDG Base Directory spec: `$XDG_DATA_HOME`, default
 * `~/.local/share`; macOS `~/Library/Application Support`; Windows `%LOCALAPPDATA%`).
 */

/** File name of the archive database. */
export const ARCHIVE_FILE = 'archive.db';

/**
 * The archive's path: `<configDir>/archive.db` when `env.CHAT_TUI_CONFIG_DIR` is set, else
 * `<data dir>/chat-tui/archive.db` (see the module comment). `configDir` is the resolved config directory.
 */
export function archivePath(configDir: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.CHAT_TUI_CONFIG_DIR?.trim()) return path.join(configDir, ARCHIVE_FILE);
  return path.join(dataDir(env), 'chat-tui', ARCHIVE_FILE);
}

/** The platform's per-user data directory (see the module comment). */
function dataDir(env: NodeJS.ProcessEnv): string {
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support');
  if (process.platform === 'win32') return env.LOCALAPPDATA || path.join(home, 'AppData', 'Local');
  return env.XDG_DATA_HOME || path.join(home, '.local', 'share');
}
