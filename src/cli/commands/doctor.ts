import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { configDir, modeOf } from '../../config/paths.js';
import { describeCredential, registerProfileSecrets, resolveToken } from '../../config/secrets.js';
import { validateProfile } from '../../config/validate.js';
import { connectors, getConnector } from '../../connectors/index.js';
import { ChatError, toChatError, UsageError } from '../../core/errors.js';
import type { NamedProfile } from '../../core/profile.js';
import { archivePath, archiveSettings, failureOf } from '../../core/archive/index.js';
import { uiProblems } from '../../config/ui-validate.js';
import { config } from '../config.js';
import { ExitCode, out } from '../io.js';
import { createSession } from '../session.js';
import { openArchiveForReading } from './search.js';

/** Oldest Node version chat-tui supports (package.json engines; `node:sqlite` needs no flag from 22.13, and on the 23 line from 23.4). */
export const MIN_NODE: readonly [number, number] = [22, 13];

/** Whether this Node version is one chat-tui supports (see MIN_NODE). */
function supportedNode(major: number, minor: number): boolean {
  if (major === 23) return minor >= 4;
  return major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
}

/** Reports the archive: path, size, rows and `PRAGMA quick_check`; returns the number of problems (0 or 1). */
function checkArchive(setting: unknown): number {
  const enabled = archiveSettings(setting).enabled;
  let opened;
  try {
    opened = openArchiveForReading();
  } catch (err) {
    const file = archivePath(configDir());
    out(`FAIL  ${(err as Error).message.split('\n')[0]}`);
    out(failureOf(err) === 'corrupt' ? `      fix: move it aside (mv ${file} ${file}.broken); chat-tui starts a new one` : '      fix: check the file and its directory (permissions, free space, another program holding it)');
    return 1;
  }
  const { archive, file } = opened;
  if (!archive) {
    out(`note  archive ${file}: none yet${enabled ? ' (created when chat-tui first runs)' : ' (turned off: config archive is false)'}`);
    return 0;
  }
  try {
    const s = archive.stats();
    const mib = (s.bytes / 1048576).toFixed(1);
    const line = `archive ${file} (${mib} MiB, ${s.messages} messages, ${s.outbox} in the outbox, quick_check: ${s.integrity})${enabled ? '' : '; turned off: config archive is false'}`;
    if (s.integrity === 'ok') {
      out(`ok    ${line}`);
      return 0;
    }
    out(`FAIL  ${line}`);
    out(`      fix: move it aside (mv ${file} ${file}.broken); chat-tui starts a new one`);
    return 1;
  } catch (err) {
    out(`FAIL  ${(err as Error).message.split('\n')[0]}`);
    return 1;
  } finally {
    archive.close();
  }
}
/** Time limit of doctor's reachability check per profile, ms. */
export const DOCTOR_CONNECT_TIMEOUT_MS = 5000;

/** What to do about an error code, for doctor's "fix:" hints. */
function hintFor(code: string, name: string): string {
  switch (code) {
    case 'auth':
      return `check the credential: chat-tui profile add ${name} … --force (or chat-tui login --profile ${name})`;
    case 'not_found':
      return 'check the rooms (--room) and --url';
    case 'forbidden':
      return 'this account may not access the room; check --room';
    case 'rate_limited':
      return 'the server is rate limiting; try again later';
    case 'read_only':
      return 'add a token for sending';
    default:
      return 'check --url, the network, and that the server is running';
  }
}

/** Checks one profile: settings, credential, reachability. Prints lines; returns the number of problems. */
async function checkProfile(p: NamedProfile, reach: boolean): Promise<number> {
  const label = `profile ${p.name} (${p.service})`;
  registerProfileSecrets(p);
  let def;
  try {
    def = validateProfile(p, getConnector, connectors.map((c) => c.id));
    out(`ok    ${label}: settings valid${p.protocol !== undefined ? `; protocol: ${p.protocol}${p.protocol === 'auto' ? ' (probed at the next connect)' : ''}` : ''}`);
  } catch (err) {
    out(`FAIL  ${label}: ${(err as Error).message}`);
    out(`      fix: chat-tui profile add ${p.name} --service ${p.service} … --force`);
    return 1;
  }
  let token: string | undefined;
  try {
    token = await resolveToken(p);
    out(`ok    ${label}: credential resolvable (${describeCredential(p).replace(/^token: cmd .*/, 'token: cmd')})`);
  } catch (err) {
    out(`FAIL  ${label}: credential: ${(err as Error).message}`);
    out(p.tokenEnv ? `      fix: export ${p.tokenEnv}=… before running chat-tui` : `      fix: check the token command: chat-tui profile show ${p.name}`);
    return 1;
  }
  if (!reach) return 0;
  const started = Date.now();
  const s = createSession({ profile: p, def, token });
  try {
    await s.connect(DOCTOR_CONNECT_TIMEOUT_MS);
    out(`ok    ${label}: reachable, connected in ${Date.now() - started} ms${s.session.capabilities.readOnly ? ' (read-only)' : ''}`);
    const found = config().get(p.name)?.protocol;
    if (found !== p.protocol && found !== undefined) out(`ok    ${label}: protocol: ${found} (probed and stored)`);
    return 0;
  } catch (err) {
    const e = err instanceof UsageError ? new ChatError('protocol', err.message) : toChatError(err);
    out(`FAIL  ${label}: not reachable: error (${e.code}): ${e.message.split('\n')[0]}`);
    out(`      fix: ${hintFor(e.code, p.name)}`);
    return 1;
  } finally {
    await s.close(2000);
  }
}

/** Creates and removes a file in `dir`; returns why that failed in words, or undefined when it worked. */
function writeProbe(dir: string): string | undefined {
  const probe = path.join(dir, `.doctor-${process.pid}`);
  try {
    fs.writeFileSync(probe, '', { flag: 'wx', mode: 0o600 });
    fs.rmSync(probe, { force: true });
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only file system' : code === 'ENOSPC' ? 'no space left' : (code ?? 'error').toLowerCase();
  }
}

/** Splits "what is wrong; fix it …" (the config store's messages) into the problem and the fix. */
function splitFix(message: string): [string, string | undefined] {
  const i = message.indexOf('; fix it');
  return i < 0 ? [message, undefined] : [message.slice(0, i), message.slice(i + 2)];
}

/**
 * `chat-tui doctor [--offline]`: Node version, config directory/file permissions (reported as
 * found, then fixed), each profile's settings, credential and reachability (connect with a 5 s limit,
 * then disconnect). Never prints a secret. Exit 0 when all is well, 1 when something needs fixing.
 */
export function doctorCommand(): Command {
  return new Command('doctor')
    .description('check Node, config permissions and every profile, and say what to fix')
    .option('--offline', 'skip the reachability check')
    .option('-p, --profile <name>', 'check only this profile')
    .action(async (o: { offline?: boolean; profile?: string }) => {
      let problems = 0;
      const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
      if (supportedNode(major, minor)) {
        out(`ok    node ${process.versions.node}`);
      } else {
        problems++;
        out(`FAIL  node ${process.versions.node}: chat-tui needs Node ${MIN_NODE.join('.')} or newer (23.4 or newer on the 23 line)`);
        out('      fix: install a current Node (https://nodejs.org) and run chat-tui with it');
      }
      const dir = configDir();
      const file = path.join(dir, 'config.json');
      const dirMode = modeOf(dir);
      const fileMode = modeOf(file);
      const outbox = path.join(dir, 'outbox.json');
      const outboxMode = modeOf(outbox);
      const loose = (m: string | undefined): boolean => m !== undefined && (parseInt(m, 8) & 0o077) !== 0;
      if (dirMode === undefined) out(`ok    config directory ${dir} does not exist yet (created 0700 on first use)`);
      else if (loose(dirMode)) {
        problems++;
        out(`FAIL  config directory ${dir} has mode ${dirMode}; fixed to 0700 now`);
      } else out(`ok    config directory ${dir} (mode ${dirMode})`);
      for (const [f, m] of [[file, fileMode], [outbox, outboxMode]] as const) {
        if (m === undefined) continue;
        if (loose(m)) {
          problems++;
          out(`FAIL  ${f} has mode ${m}; fixed to 0600 now`);
        } else out(`ok    ${f} (mode ${m})`);
      }
      if (dirMode !== undefined) {
        const unwritable = writeProbe(dir);
        if (unwritable) {
          problems++;
          out(`FAIL  config directory ${dir} is not writable: ${unwritable}`);
          out('      fix: make it writable by you, or point CHAT_TUI_CONFIG_DIR at a directory that is');
        }
      }
      let store;
      try {
        store = config(); // fixes modes, warning on stderr
      } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        const [what, fix] = splitFix(err.message);
        out(`FAIL  ${what}`);
        if (fix) out(`      fix: ${fix}`);
        throw new ExitCode(1);
      }
      problems += checkArchive(store.archive());
      const ui = uiProblems(store.ui());
      for (const p of ui) out(`FAIL  config ${p}`);
      if (ui.length) out(`      fix: edit the ui section of ${file} (README: Keys, rebinding)`);
      else if (Object.keys(store.ui()).length) out('ok    config ui section');
      problems += ui.length;
      const profiles = o.profile ? [store.require(o.profile)] : store.list();
      if (!profiles.length) out('note  no profiles yet: chat-tui profile add NAME --service SERVICE … (or try: chat-tui demo)');
      for (const p of profiles) problems += await checkProfile(p, !o.offline);
      out(problems ? `${problems} problem${problems === 1 ? '' : 's'} found` : 'all good');
      if (problems) throw new ExitCode(1);
    });
}
