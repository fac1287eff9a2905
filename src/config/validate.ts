import type { ConnectorDefinition } from '../core/connector.js';
import { UsageError } from '../core/errors.js';
import type { Profile } from '../core/profile.js';

/**
 * Profile validation shared by `profile add`, the headless commands, the TUI and `doctor`.
 * Every failure is a UsageError with one line (exit 2).
 */

/** True for hosts that never leave the machine: `localhost`, `*.localhost`, 127.0.0.0/8, `::1`. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)) return true;
  if (/^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)) return true;
  return false;
}

/**
 * Parses a service URL given as option `flag` (for the message). Accepts http, https, ws, wss.
 * Plain http/ws to a host that is not loopback is refused unless `insecure`.
 * Returns the URL; throws UsageError.
 */
export function checkServiceUrl(value: string, flag: string, insecure: boolean): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${flag}: not a valid URL: ${value.slice(0, 200)}`);
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) {
    throw new UsageError(`${flag}: unsupported scheme ${url.protocol} (use https://, wss://, or http:// / ws:// on this machine)`);
  }
  if (url.username || url.password) {
    throw new UsageError(`${flag}: put credentials in --token, --token-env or --token-cmd, not in the URL`);
  }
  if ((url.protocol === 'http:' || url.protocol === 'ws:') && !isLoopbackHost(url.hostname) && !insecure) {
    throw new UsageError(`${flag}: plain ${url.protocol.slice(0, -1)}:// to ${url.hostname} is not encrypted; use https:// or wss://, or add --insecure`);
  }
  return url;
}

/** The longest room id a profile takes, characters (ids, channel names and slugs of every service are far shorter). */
export const MAX_ROOM_ID = 1024;

/** Number of credential sources set (token, tokenEnv, tokenCmd). */
export function credentialSources(p: Profile): number {
  return [p.token, p.tokenEnv, p.tokenCmd].filter((v) => v !== undefined && v !== '').length;
}

/**
 * Whether a profile of this service must have a credential before it is used: when the connector marks
 * `token` required, or when it has no `login` (there is no other way to get one). A service with a login
 * and an optional token (talkee, rooms) may run without one (read-only, or until `chat-tui login`); its
 * own `validate` says otherwise if it must.
 */
export function needsCredential(def: ConnectorDefinition): boolean {
  const field = def.profileFields?.find((f) => f.key === 'token');
  if (field?.required) return true;
  return !def.login;
}

/**
 * Validates a profile: known service, URLs (the profile's or the connector's default), credential given
 * at most once and present where the service needs one (`needsCredential`; a client id counts: it is how
 * read-only access is configured), then the connector's own `validate`. `lookup` finds a connector by
 * service id. Throws UsageError (one line).
 */
export function validateProfile(p: Profile, lookup: (id: string) => ConnectorDefinition | undefined, ids: readonly string[]): ConnectorDefinition {
  const def = lookup(p.service);
  if (!def) throw new UsageError(`unknown service "${p.service}"; use one of: ${ids.join(', ')}`);
  const insecure = p.insecure === true;
  const url = p.url ?? def.defaultUrl;
  if (url !== undefined) checkServiceUrl(url, p.url !== undefined ? '--url' : 'default url', insecure);
  if (p.apiUrl !== undefined) checkServiceUrl(p.apiUrl, '--api-url', insecure);
  const sources = credentialSources(p);
  if (sources > 1) throw new UsageError('give only one of --token, --token-env, --token-cmd');
  if (sources === 0 && !p.clientId && needsCredential(def)) {
    throw new UsageError(`missing credential for ${def.id}: give --token, --token-env VAR or --token-cmd "command"`);
  }
  if (p.tokenEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p.tokenEnv)) {
    throw new UsageError(`--token-env: not an environment variable name: ${p.tokenEnv.slice(0, 80)}`);
  }
  for (const r of p.rooms ?? []) {
    if (!r.trim()) throw new UsageError('--room: empty room');
    if (r.length > MAX_ROOM_ID) throw new UsageError(`--room: a room id of ${r.length} characters (at most ${MAX_ROOM_ID})`);
  }
  try {
    def.validate(p);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError((err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'invalid profile');
  }
  return def;
}
