import type { ConnectorDefinition, ProfileField } from '../../core/connector.js';
import { UsageError } from '../../core/errors.js';
import type { NamedProfile, Profile } from '../../core/profile.js';
import { registerProfileSecrets, resolveToken } from '../../config/secrets.js';
import { loadUiState, saveUiState } from '../../config/ui-state.js';
import { uiProblems } from '../../config/ui-validate.js';
import { validateProfile } from '../../config/validate.js';
import { loadConnector, SERVICE_IDS } from '../../connectors/registry.js';
import { config } from '../config.js';
import { ExitCode, errLine, out } from '../io.js';
import { loadRuntime, loadUi, requireTty, scrollbackFrom, uiOptionsFrom } from '../lazy.js';

/** Placeholder values of `profile add` flags in the welcome text, by profile field. */
const FLAG: Partial<Record<keyof Profile, string>> = {
  url: '--url URL',
  token: '--token TOKEN',
  rooms: '--room ROOM',
  userId: '--user-id USER_ID',
  userName: '--user-name NAME',
  clientId: '--client-id CLIENT_ID',
  clientSecret: '--client-secret SECRET',
  siteId: '--site-id N',
  apiUrl: '--api-url URL',
};

/**
 * The example `profile add` line for a service, built from its definition: `--url` when it has no
 * default (or a loopback one), every required field, the user id/name fields, a token and a room when
 * the service takes them.
 */
export function exampleAddLine(def: ConnectorDefinition): string {
  const fields: ProfileField[] = def.profileFields ?? [];
  const keys = new Set<keyof Profile>();
  // A default URL on this machine (a self-hosted service) is rarely the one a user wants.
  if (!def.defaultUrl || /^\w+:\/\/(localhost|127\.)/.test(def.defaultUrl)) keys.add('url');
  for (const f of fields) if (f.required || f.key === 'userId' || f.key === 'userName') keys.add(f.key);
  if (!keys.has('clientId')) keys.add('token');
  if (!fields.length || fields.some((f) => f.key === 'rooms')) keys.add('rooms');
  const order: (keyof Profile)[] = ['url', 'apiUrl', 'siteId', 'token', 'clientId', 'clientSecret', 'rooms', 'userId', 'userName'];
  const flags = order.filter((k) => keys.has(k)).map((k) => FLAG[k]).filter(Boolean);
  return `chat-tui profile add my-${def.id} --service ${def.id} ${flags.join(' ')}`;
}

/** The first-run welcome: no profiles yet. Takes every connector definition (src/connectors/index.ts). */
export function printWelcome(connectors: readonly ConnectorDefinition[]): void {
  out('Welcome to chat-tui: a terminal chat client for ' + connectors.map((c) => c.displayName).join(', ') + '.');
  out('');
  out('Try it now, offline, against the built-in demo server:');
  out('  chat-tui demo');
  out('');
  out('Or add a profile for your account (one line per service):');
  for (const def of connectors) out(`  ${exampleAddLine(def)}`);
  out('');
  out('Then run chat-tui (or chat-tui --profile NAME). Headless: chat-tui tail|send|history|rooms --profile NAME. Help: chat-tui --help');
}

/** How long after the start (ms) the connectors no profile uses are imported: well after the first frame. */
const CONNECTORS_LATER_MS = 1500;

/** Options of the bare `chat-tui` command. */
export interface TuiOptions {
  profile?: string;
  mouse?: boolean;
}

/**
 * Bare `chat-tui [--profile NAME] [--mouse]`: the welcome when there is no profile, else the full-screen
 * TUI over a ChatRuntime for the chosen profile (or all). An explicitly chosen profile that does not
 * validate is a usage error (exit 2); with all profiles, invalid ones are skipped with a warning.
 */
export async function runTuiCommand(o: TuiOptions): Promise<void> {
  const store = config();
  const all = store.list();
  if (!all.length) {
    printWelcome((await import('../../connectors/index.js')).connectors);
    return;
  }
  // Only the connectors of the profiles are imported before the first frame; the others after it
  // (a profile edited to another service is then known to F5 and /reconnect).
  const ids: readonly string[] = SERVICE_IDS;
  const loaded = new Map<string, ConnectorDefinition>();
  const named = o.profile ? store.require(o.profile) : undefined;
  const services = new Set((named ? [named] : all).map((p) => p.service));
  for (const def of await Promise.all([...services].map((id) => loadConnector(id)))) if (def) loaded.set(def.id, def);
  const getConnector = (id: string): ConnectorDefinition | undefined => loaded.get(id);
  let chosen: NamedProfile[];
  if (named) {
    registerProfileSecrets(named);
    validateProfile(named, getConnector, ids);
    chosen = [named];
  } else {
    chosen = [];
    for (const p of all) {
      registerProfileSecrets(p);
      try {
        validateProfile(p, getConnector, ids);
        chosen.push(p);
      } catch (err) {
        errLine(`warning: skipping profile "${p.name}": ${(err as Error).message}`);
      }
    }
    if (!chosen.length) throw new UsageError('no usable profile; fix one (chat-tui doctor) or try: chat-tui demo');
  }
  requireTty();
  const [{ ChatRuntime }, { runTui }, { SessionStore }, { openAppArchive, archiveSettings }, { sanitizeLine }] = await Promise.all([
    loadRuntime(),
    loadUi(),
    import('../../core/store/index.js'),
    import('../../core/archive/index.js'),
    import('../../core/sanitize.js'),
  ]);
  const scrollbackLimit = scrollbackFrom(store.ui());
  const sessionStore = new SessionStore(scrollbackLimit !== undefined ? { scrollbackLimit } : {});
  // A `ui` setting that cannot be used is said (and its default used): on stderr and in the status line.
  for (const p of uiProblems(store.ui())) {
    errLine(`warning: config ui: ${p}`);
    sessionStore.addNotice('', 'error', sanitizeLine(`config ${p} (fix it: chat-tui doctor)`));
  }
  // The archive (history, search) and the shared outbox, in one SQLite database next to the config.
  let runtime: InstanceType<typeof ChatRuntime> | undefined;
  const archive = openAppArchive({
    dir: store.dir,
    settings: archiveSettings(store.archive()),
    profiles: chosen.map((p) => p.name),
    notice: (line) => sessionStore.addNotice('', 'error', sanitizeLine(line)),
    adopt: (entries) => runtime?.adoptOutbox(entries),
  });
  runtime = new ChatRuntime({
    store: sessionStore,
    ...(archive.outbox ? { outbox: archive.outbox } : {}),
    ...(archive.history ? { archive: archive.history } : {}),
    profiles: chosen,
    getConnector,
    resolveToken: (p) => resolveToken(p),
    saveProfile: async (name, patch) => {
      registerProfileSecrets(patch);
      store.update(name, patch);
    },
    // F5 and /reconnect read the profile again, so a token or URL fixed in the config works at once.
    loadProfile: (name) => {
      const p = store.get(name);
      if (!p) return undefined;
      registerProfileSecrets(p);
      validateProfile(p, getConnector, ids);
      return p;
    },
    stateDir: store.dir,
  });
  const opts: Parameters<typeof runTui>[0] = {
    ...uiOptionsFrom(store.ui()),
    runtime,
    title: 'chat-tui',
    // The last room and the room order, remembered in the state directory across restarts.
    memory: { load: () => loadUiState(store.dir), save: (m) => void saveUiState(store.dir, m) },
  };
  if (o.mouse) opts.mouse = true;
  setTimeout(() => {
    import('../../connectors/index.js')
      .then((m) => m.connectors.forEach((d) => loaded.has(d.id) || loaded.set(d.id, d)))
      .catch(() => undefined); // only a later "unknown service" for a profile edited to another service
  }, CONNECTORS_LATER_MS).unref();
  const code = await runTui(opts);
  const left = unsentSummary(runtime.outboxEntries());
  await archive.close();
  if (left) errLine(left);
  if (code !== 0) throw new ExitCode(code);
}

/**
 * The line said on quitting when messages are still in the outbox (entries with `status`), or undefined:
 * `2 unsent messages will be sent the next time chat-tui runs; 1 failed message is kept (retry or discard it in the TUI)`.
 */
export function unsentSummary(entries: readonly { status: string }[]): string | undefined {
  const queued = entries.filter((e) => e.status !== 'failed').length;
  const failed = entries.length - queued;
  const n = (k: number, what: string): string => `${k} ${what} message${k === 1 ? '' : 's'}`;
  const parts: string[] = [];
  if (queued) parts.push(`${n(queued, 'unsent')} will be sent the next time chat-tui runs`);
  if (failed) parts.push(`${n(failed, 'failed')} ${failed === 1 ? 'is' : 'are'} kept (retry or discard ${failed === 1 ? 'it' : 'them'} in the TUI)`);
  return parts.length ? parts.join('; ') : undefined;
}
