import { Command, Option } from 'commander';
import { describeCredential, registerProfileSecrets } from '../../config/secrets.js';
import { checkProfileName } from '../../config/store.js';
import { credentialSources, validateProfile } from '../../config/validate.js';
import { connectors, getConnector } from '../../connectors/index.js';
import { UsageError } from '../../core/errors.js';
import type { NamedProfile, Profile } from '../../core/profile.js';
import { MAX_ECHOED_WORD, ellipsize, sanitizeLine } from '../../core/sanitize.js';
import { config } from '../config.js';
import { errLine, jsonOut, out } from '../io.js';
import { collect, collectAlias, intParser } from '../options.js';
import { exampleAddLine } from './tui.js';

/**
 * `chat-tui profile add|list|show|remove` (options: conformance README "Profile options per
 * service"). Secrets are never printed: `show` says `token: (set)`, `token: env VAR` or `token: cmd`.
 */

interface AddOptions {
  service: string;
  url?: string;
  token?: string;
  tokenEnv?: string;
  tokenCmd?: string;
  room?: string[];
  userId?: string;
  userName?: string;
  clientId?: string;
  clientSecret?: string;
  siteId?: number;
  apiUrl?: string;
  alias?: Record<string, string>;
  insecure?: boolean;
  typing?: boolean;
  protocol?: string;
  force?: boolean;
}

/** Builds the stored profile from `profile add` options (unset options are left out). */
export function profileFromOptions(o: AddOptions, typingGiven: boolean): Profile {
  const p: Profile = { service: o.service };
  if (o.url !== undefined) p.url = o.url;
  if (o.token !== undefined) p.token = o.token;
  if (o.tokenEnv !== undefined) p.tokenEnv = o.tokenEnv;
  if (o.tokenCmd !== undefined) p.tokenCmd = o.tokenCmd;
  if (o.room?.length) p.rooms = o.room;
  if (o.userId !== undefined) p.userId = o.userId;
  if (o.userName !== undefined) p.userName = o.userName;
  if (o.clientId !== undefined) p.clientId = o.clientId;
  if (o.clientSecret !== undefined) p.clientSecret = o.clientSecret;
  if (o.siteId !== undefined) p.siteId = o.siteId;
  if (o.apiUrl !== undefined) p.apiUrl = o.apiUrl;
  if (o.alias && Object.keys(o.alias).length) p.aliases = o.alias;
  if (o.insecure) p.insecure = true;
  if (typingGiven && o.typing === false) p.sendTyping = false;
  if (o.protocol !== undefined) p.protocol = o.protocol;
  return p;
}

/** Reads a token from stdin (`--token -`): the first line, trimmed; UsageError when empty. */
async function readToken(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const token = (Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '').trim();
  if (!token) throw new UsageError('--token -: nothing on stdin');
  return token;
}

/** The profile as printable key/value pairs, without secrets. */
export function publicProfile(p: NamedProfile): Record<string, unknown> {
  const o: Record<string, unknown> = { name: p.name, service: p.service };
  if (p.url !== undefined) o.url = p.url;
  o.credential = p.token ? 'token' : p.tokenEnv ? 'env' : p.tokenCmd ? 'cmd' : 'none';
  if (p.tokenEnv) o.tokenEnv = p.tokenEnv;
  if (p.rooms) o.rooms = p.rooms;
  if (p.userId !== undefined) o.userId = p.userId;
  if (p.userName !== undefined) o.userName = p.userName;
  if (p.clientId !== undefined) o.clientId = p.clientId;
  if (p.clientSecret !== undefined) o.clientSecret = '(set)';
  if (p.siteId !== undefined) o.siteId = p.siteId;
  if (p.apiUrl !== undefined) o.apiUrl = p.apiUrl;
  if (p.aliases) o.aliases = p.aliases;
  if (p.insecure) o.insecure = true;
  if (p.sendTyping === false) o.sendTyping = false;
  if (p.protocol !== undefined) o.protocol = p.protocol;
  if (p.tokenExpiresAt) o.tokenExpiresAt = p.tokenExpiresAt;
  return o;
}

function addCommand(): Command {
  return new Command('add')
    .description('add (or with --force replace) a profile: one account on one service')
    .argument('<name>', 'profile name (letters, digits, . _ -)')
    .addOption(new Option('--service <service>', 'service').choices(connectors.map((c) => c.id)).makeOptionMandatory())
    .option('--url <url>', 'service base URL (http:// and ws:// only to this machine unless --insecure)')
    .option('--token <token>', 'access token / API key (stored in the 0600 config file); "-" reads it from stdin')
    .option('--token-env <var>', 'read the token from this environment variable at connect time')
    .option('--token-cmd <command>', 'run this shell command at connect time; its output is the token')
    .option('--room <room>', 'room to open (repeatable): chatapi room UUID, glimesh channel, talkee slug, rooms room id', collect)
    .option('--user-id <id>', 'chatapi: your user id')
    .option('--user-name <name>', 'chatapi: your display name')
    .option('--client-id <id>', 'glimesh: OAuth client id (read-only without a token)')
    .option('--client-secret <secret>', 'glimesh: OAuth client secret (for chat-tui login)')
    .option('--site-id <n>', 'talkee: numeric site id (required)', intParser(1, Number.MAX_SAFE_INTEGER))
    .option('--api-url <url>', 'talkee: API base URL')
    .option('--alias <id=name>', 'rooms: show user ID as NAME (repeatable)', collectAlias)
    .option('--insecure', 'allow plain http:// / ws:// to a host that is not this machine')
    .option('--no-typing', 'do not send typing indicators')
    .option('--protocol <protocol>', 'chatapi: the server\'s protocol: auto (probe it now, the default), docs, socketio (the Python server), v2 (the Go server)')
    .option('--force', 'replace an existing profile of that name')
    .addHelpText('after', () => `
Examples (one per service):
${connectors.map((d) => `  ${exampleAddLine(d)}`).join('\n')}
  chat-tui profile add work --service chatapi --url https://chat.example.com --token-cmd "pass show chat" --room ROOM

Secrets: --token is stored in the config file (mode 0600); --token-env and --token-cmd keep it out of the file.`)
    .action(async function (this: Command, name: string, o: AddOptions) {
      checkProfileName(name);
      if (o.token === '-') o.token = await readToken();
      const store = config();
      if (store.get(name) && !o.force) throw new UsageError(`profile "${name}" exists; add --force to replace it`);
      const p = profileFromOptions(o, this.getOptionValueSource('typing') === 'cli');
      registerProfileSecrets(p);
      const needsLogin = validateForAdd(p);
      const probe = getConnector(p.service)?.probe;
      if (probe) Object.assign(p, await probe(p));
      store.set(name, p);
      out(`profile "${name}" saved (${p.service}) in ${store.path}`);
      if (needsLogin) errLine(`note: profile "${name}" has no credential yet; run: chat-tui login --profile ${name}`);
    });
}

/**
 * Validates a new profile (`validateProfile`). Returns true when it has no credential but its service
 * has a login: the caller then suggests `chat-tui login`.
 */
function validateForAdd(p: Profile): boolean {
  const def = validateProfile(p, getConnector, connectors.map((c) => c.id));
  return Boolean(def.login) && credentialSources(p) === 0 && !p.clientId;
}

/** A stored value as shown by `list`/`show`: one line, cut with "…" (a hand-edited file may hold megabytes). */
function shown(v: string): string {
  return ellipsize(sanitizeLine(v), MAX_ECHOED_WORD);
}

function listCommand(): Command {
  return new Command('list')
    .description('list profiles (no secrets)')
    .option('--json', 'one JSON object a line')
    .action((o: { json?: boolean }) => {
      const all = config().list();
      if (o.json) {
        for (const p of all) jsonOut(publicProfile(p));
        return;
      }
      if (!all.length) {
        out('no profiles yet; add one with: chat-tui profile add NAME --service SERVICE … (or try: chat-tui demo)');
        return;
      }
      const w = Math.max(...all.map((p) => p.name.length));
      for (const p of all) {
        const rooms = p.rooms?.length ? `  rooms: ${p.rooms.map(shown).join(', ')}` : '';
        out(`${p.name.padEnd(w)}  ${shown(p.service).padEnd(7)}  ${shown(p.url ?? getConnector(p.service)?.defaultUrl ?? '')}${rooms}`);
      }
    });
}

function showCommand(): Command {
  return new Command('show')
    .description('show one profile (secrets are never printed)')
    .argument('<name>', 'profile name')
    .option('--json', 'print a JSON object')
    .action((name: string, o: { json?: boolean }) => {
      const p = config().require(name);
      registerProfileSecrets(p);
      if (o.json) {
        jsonOut(publicProfile(p));
        return;
      }
      out(`name: ${p.name}`);
      out(`service: ${shown(p.service)}`);
      out(`url: ${p.url !== undefined ? shown(p.url) : `${getConnector(p.service)?.defaultUrl ?? '(none)'} (default)`}`);
      out(describeCredential(p).replace(/^token: cmd .*/, 'token: cmd (a command prints it)'));
      if (p.rooms?.length) out(`rooms: ${p.rooms.map(shown).join(', ')}`);
      if (p.userId !== undefined) out(`user id: ${shown(p.userId)}`);
      if (p.userName !== undefined) out(`user name: ${shown(p.userName)}`);
      if (p.clientId !== undefined) out(`client id: ${shown(p.clientId)}`);
      if (p.clientSecret !== undefined) out('client secret: (set)');
      if (p.siteId !== undefined) out(`site id: ${p.siteId}`);
      if (p.apiUrl !== undefined) out(`api url: ${shown(p.apiUrl)}`);
      for (const [id, alias] of Object.entries(p.aliases ?? {})) out(`alias: ${shown(id)}=${shown(alias)}`);
      if (p.insecure) out('insecure: yes (plain http/ws allowed)');
      if (p.sendTyping === false) out('typing indicators: off');
      if (p.protocol !== undefined) out(`protocol: ${shown(p.protocol)}`);
      if (p.tokenExpiresAt) out(`token expires: ${p.tokenExpiresAt}`);
    });
}

function removeCommand(): Command {
  return new Command('remove')
    .alias('rm')
    .description('remove a profile')
    .argument('<name>', 'profile name')
    .action((name: string) => {
      const store = config();
      store.require(name);
      store.remove(name);
      out(`profile "${name}" removed`);
    });
}

/**
 * `profile default [NAME] [--clear]`: sets the profile the headless commands use when none is named,
 * prints the current one without NAME, clears it with `--clear`. Unknown NAME: UsageError (exit 2).
 */
function defaultCommand(): Command {
  return new Command('default')
    .description('set (or show, or --clear) the profile used when --profile is not given')
    .argument('[name]', 'profile name')
    .option('--clear', 'forget the default profile')
    .action((name: string | undefined, o: { clear?: boolean }) => {
      const store = config();
      if (o.clear) {
        store.setDefaultProfile(undefined);
        out('default profile cleared');
      } else if (name !== undefined) {
        store.setDefaultProfile(name);
        out(`default profile: ${name}`);
      } else {
        const d = store.defaultProfile();
        const only = store.list();
        out(d ? `default profile: ${d}` : only.length === 1 ? `default profile: ${only[0]!.name} (the only one)` : 'no default profile');
      }
    });
}

/** The `profile` command with its subcommands. */
export function profileCommand(): Command {
  return new Command('profile')
    .description('manage profiles (accounts on services)')
    .addCommand(addCommand())
    .addCommand(listCommand())
    .addCommand(showCommand())
    .addCommand(removeCommand())
    .addCommand(defaultCommand());
}
