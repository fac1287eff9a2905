import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Where chat-tui keeps its config file (`config.json`) and its state (`outbox.json`): one directory.
 * `CHAT_TUI_CONFIG_DIR` wins; otherwise the platform's config directory, named exactly as
 * `conf` with `projectName: 'chat-tui', projectSuffix: ''` would name it (env-paths rules):
 * Linux `$XDG_CONFIG_HOME/chat-tui` (default `~/.config/chat-tui`), macOS `~/Library/Preferences/chat-tui`,
 * Windows `%APPDATA%/chat-tui/Config`. We compute it ourselves so the directory can be created 0700
 * before `conf` touches it.
 */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.CHAT_TUI_CONFIG_DIR?.trim();
  if (override) return path.resolve(override);
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Preferences', 'chat-tui');
  if (process.platform === 'win32') {
    const appData = env.APPDATA || path.join(home, 'AppData', 'Roaming');
    return path.join(appData, 'chat-tui', 'Config');
  }
  return path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'chat-tui');
}

/** The state directory (outbox persistence). It is the config directory: the outbox lives next to the config. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return configDir(env);
}

/** Mode bits we insist on: directory 0700, files 0600. */
export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

/** Files in the config directory whose permissions are checked at start. */
export const CHECKED_FILES = ['config.json', 'outbox.json'] as const;

/**
 * Creates `dir` with mode 0700 when missing, and tightens it and the files in `CHECKED_FILES` when their
 * permissions are looser than 0700/0600 (any group/other bit). Each fix is reported through `warn` as one
 * line (the caller prints it on stderr). No-op for the mode checks on Windows, where POSIX modes mean little.
 * Returns the lines it warned with. Throws only when the directory cannot be created (the caller maps it).
 */
export function ensureSecureDir(dir: string, warn: (line: string) => void = () => {}): string[] {
  const said: string[] = [];
  const say = (line: string): void => {
    said.push(line);
    warn(line);
  };
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
    if (process.platform !== 'win32') fs.chmodSync(dir, DIR_MODE);
    return said;
  }
  if (process.platform === 'win32') return said;
  const st = fs.statSync(dir);
  if ((st.mode & 0o077) !== 0) {
    say(`warning: config directory ${dir} had mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}; fixed to 0700`);
    try {
      fs.chmodSync(dir, DIR_MODE);
    } catch {
      say(`warning: could not change the mode of ${dir}; run: chmod 700 ${dir}`);
    }
  }
  for (const name of CHECKED_FILES) {
    const file = path.join(dir, name);
    const fst = fs.statSync(file, { throwIfNoEntry: false });
    if (!fst || !fst.isFile()) continue;
    if ((fst.mode & 0o077) !== 0) {
      say(`warning: ${file} had mode ${(fst.mode & 0o777).toString(8).padStart(4, '0')}; fixed to 0600`);
      try {
        fs.chmodSync(file, FILE_MODE);
      } catch {
        say(`warning: could not change the mode of ${file}; run: chmod 600 ${file}`);
      }
    }
  }
  return said;
}

/** Mode of a path as an octal string like `0600`, or undefined when it does not exist. */
export function modeOf(p: string): string | undefined {
  const st = fs.statSync(p, { throwIfNoEntry: false });
  return st ? (st.mode & 0o777).toString(8).padStart(4, '0') : undefined;
}
