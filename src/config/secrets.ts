import { spawn } from 'node:child_process';
import { ChatError, UsageError } from '../core/errors.js';
import type { Profile } from '../core/profile.js';

/**
 * Secrets of a profile (issue 3 §5, issue 7 "Secrets"): exactly one of `token` (stored in the 0600 file),
 * `tokenEnv` (name of an environment variable) or `tokenCmd` (a shell command whose trimmed stdout is the
 * token, e.g. `pass show chat`). Every secret we learn is registered for `redact()`, which the CLI runs
 * over everything it prints, as a last line of defence.
 */

/** Registered secrets and their URL-encoded forms (computed once). */
const known = new Map<string, string>();

/** Remembers a secret so that `redact` removes it from any text. Ignores strings shorter than 4 chars. */
export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 4 && !known.has(secret)) known.set(secret, encodeURIComponent(secret));
}

/** Registers the secrets stored in a profile itself (token, client secret). */
export function registerProfileSecrets(p: Partial<Profile>): void {
  registerSecret(p.token);
  registerSecret(p.clientSecret);
}

/** `text` with every registered secret (and its URL-encoded form) replaced by `***`. */
export function redact(text: string): string {
  let out = text;
  for (const [s, enc] of known) {
    if (out.includes(s)) out = out.split(s).join('***');
    if (enc !== s && out.includes(enc)) out = out.split(enc).join('***');
  }
  return out;
}

/** How a profile's credential is given, for `profile show` / `doctor` (never the secret itself). */
export function describeCredential(p: Profile): string {
  if (p.token) return 'token: (set)';
  if (p.tokenEnv) return `token: env ${p.tokenEnv}`;
  if (p.tokenCmd) return `token: cmd ${p.tokenCmd}`;
  return 'token: (none)';
}

/** Default time limit of a `tokenCmd`, in ms. */
export const TOKEN_CMD_TIMEOUT_MS = 30_000;

/**
 * Resolves a profile's token: the stored `token`, else the env var named by `tokenEnv`, else the trimmed
 * stdout of `tokenCmd` run through the shell (`/bin/sh -c`, or `cmd.exe /c` on Windows). Returns undefined
 * when the profile has no credential at all (e.g. glimesh read-only with a client id).
 * Throws UsageError (exit 2) when `tokenEnv` names an unset/empty variable; ChatError `auth` (exit 1) when the
 * command fails, times out or prints nothing — its output is never included in the message.
 */
export async function resolveToken(p: Profile, opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string | undefined> {
  const env = opts.env ?? process.env;
  if (p.token) {
    registerSecret(p.token);
    return p.token;
  }
  if (p.tokenEnv) {
    const v = env[p.tokenEnv]?.trim();
    if (!v) throw new UsageError(`environment variable ${p.tokenEnv} (the profile's --token-env) is not set`);
    registerSecret(v);
    return v;
  }
  if (p.tokenCmd) {
    const v = await runTokenCommand(p.tokenCmd, opts.timeoutMs ?? TOKEN_CMD_TIMEOUT_MS, env);
    registerSecret(v);
    return v;
  }
  return undefined;
}

function runTokenCommand(cmd: string, timeoutMs: number, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const [shell, flag] = process.platform === 'win32' ? ['cmd.exe', '/c'] : ['/bin/sh', '-c'];
    let child;
    try {
      // detached: its own process group, so a time-out kills the command's children too.
      child = spawn(shell, [flag, cmd], { env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true, detached: process.platform !== 'win32' });
    } catch {
      reject(new ChatError('auth', 'the token command could not be started'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    child.stdout.on('data', (d: Buffer) => {
      size += d.length;
      if (size <= 1 << 20) chunks.push(d);
    });
    child.stderr.resume(); // never shown: it may hold the secret
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      try {
        if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      child.stdout.destroy();
      child.stderr.destroy();
      reject(new ChatError('auth', `the token command timed out after ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    child.on('error', () => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      reject(new ChatError('auth', 'the token command could not be started'));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      if (code !== 0) {
        return reject(new ChatError('auth', `the token command failed (${code === null ? `signal ${signal}` : `exit ${code}`})`));
      }
      const out = Buffer.concat(chunks).toString('utf8').trim();
      if (!out) return reject(new ChatError('auth', 'the token command printed nothing'));
      resolve(out);
    });
  });
}
