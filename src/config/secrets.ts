import { spawn } from 'node:child_process';
import { ChatError, UsageError } from '../core/errors.js';
import type { Profile } from '../core/profile.js';
import { MIN_SECRET_LENGTH, redactText, secretForms } from '../core/redact.js';

/**
 * Secrets of a profile: exactly one of `token` (stored in the 0600 file),
 * `tokenEnv` (name of an environment variable) or `tokenCmd` (a shell command whose trimmed stdout is the
 * token, e.g. `pass show chat`). Every secret we learn is registered for `redact()`, which the CLI runs
 * over everything it prints, as a last line of defence.
 */

/** Registered secrets and the spellings of each (core/redact.ts `secretForms`, computed once). */
const known = new Map<string, string[]>();
/** Every form of every registered secret, longest first (rebuilt when a secret is registered). */
let allForms: string[] = [];
/** Whether some form holds a line break (then a batch of lines is redacted line by line, see `redactLines`). */
let formsSpanLines = false;

/** Remembers a secret so that `redact` removes it from any text. Ignores strings shorter than 4 chars. */
export function registerSecret(secret: string | undefined): void {
  if (!secret || secret.length < MIN_SECRET_LENGTH || known.has(secret)) return;
  known.set(secret, secretForms(secret));
  allForms = [...new Set([...known.values()].flat())].sort((a, b) => b.length - a.length);
  formsSpanLines = allForms.some((f) => f.includes('\n'));
}

/** Registers the secrets stored in a profile itself (token, client secret). */
export function registerProfileSecrets(p: Partial<Profile>): void {
  registerSecret(p.token);
  registerSecret(p.clientSecret);
}

/**
 * `text` with every registered secret replaced by `***`, in each of its spellings (as is, URL-encoded,
 * JSON-escaped, base64/base64url; core/redact.ts). For every line the CLI prints.
 */
export function redact(text: string): string {
  return allForms.length ? redactText(text, allForms) : text;
}

/**
 * `redact` of a batch of whole lines (`a\nb\n`): the same text as redacting each line on its own, in one
 * search per spelling for the whole batch — a spelling without a line break matches within a line only.
 * When a secret's spelling holds a line break, line by line.
 */
export function redactLines(text: string): string {
  if (!allForms.length) return text;
  return formsSpanLines ? text.split('\n').map(redact).join('\n') : redactText(text, allForms);
}

/**
 * `redact` for error texts: also hides any credential after an auth scheme or in a credential header
 * (`Bearer …`, `X-API-Key: …`), known to us or not — a server or library that echoes our request's
 * headers into an error.
 */
export function redactError(text: string): string {
  return redactText(text, allForms, true);
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

/** The most a `tokenCmd` may print, bytes (1 MiB). */
export const MAX_TOKEN_CMD_OUTPUT = 1 << 20;

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
    let settled = false;
    /** Kills the command and its children (its own process group) and rejects with `message`. */
    const stop = (message: string): void => {
      settled = true;
      clearTimeout(timer);
      try {
        if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      child.stdout.destroy();
      child.stderr.destroy();
      reject(new ChatError('auth', message));
    };
    child.stdout.on('data', (d: Buffer) => {
      if (settled) return;
      size += d.length;
      // A token is a few KiB at most; a longer output is not cut and used (the server would refuse it
      // with HTTP 431), it is refused.
      if (size > MAX_TOKEN_CMD_OUTPUT) return stop('the token command printed more than 1 MiB');
      chunks.push(d);
    });
    child.stderr.resume(); // never shown: it may hold the secret
    const timer = setTimeout(() => stop(`the token command timed out after ${Math.round(timeoutMs / 1000)} s`), timeoutMs);
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
