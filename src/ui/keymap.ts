import { type KeyEvent, keyId } from './keys.js';

/**
 * Global key bindings of the TUI: action → default keys (key ids from
 * keys.ts `keyId`: `C-n` Ctrl-N, `M-up` Alt-Up, `f1`, `pageup`). Users may rebind actions in the
 * config file (`ui.keys`); composer editing keys (readline) are not rebindable. Some keys act only
 * when the composer is empty (see `EMPTY_COMPOSER_KEYS`): Ctrl-K kills to the end of the line when
 * there is text and opens the room switcher when there is none; Home/End likewise; `?` opens help.
 */
export type Action =
  | 'quit' | 'nextRoom' | 'prevRoom' | 'pageUp' | 'pageDown' | 'roomTop' | 'roomBottom' | 'retry' | 'reconnect' | 'redraw'
  | 'editFailed' | 'discardFailed' | 'help' | 'members' | 'switcher' | 'activity' | 'toggleRooms' | 'copyMode'
  | 'jump1' | 'jump2' | 'jump3' | 'jump4' | 'jump5' | 'jump6' | 'jump7' | 'jump8' | 'jump9';

/** Default bindings: action → key ids (`C-x` Ctrl, `M-x` Alt, `f1`, `pageup` …); `ui.keys` in the config overrides per action. */
export const DEFAULT_KEYS: Record<Action, string[]> = {
  quit: ['C-c'],
  nextRoom: ['C-n', 'M-down'],
  prevRoom: ['C-p', 'M-up'],
  pageUp: ['pageup'],
  pageDown: ['pagedown'],
  roomTop: ['C-home', 'M-home'],
  roomBottom: ['C-end', 'M-end'],
  // Ctrl-R is readline's reverse search of sent lines (the composer's); resending is Alt-R and /retry.
  retry: ['M-r'],
  editFailed: ['M-e'],
  discardFailed: ['M-x'],
  reconnect: ['f5'],
  // Ctrl-L redraws, as in every terminal program (readline, vim, WeeChat).
  redraw: ['C-l'],
  help: ['f1'],
  members: ['f2'],
  switcher: ['C-g'],
  activity: ['M-a'],
  toggleRooms: ['f3', 'M-l'],
  copyMode: ['M-c'],
  jump1: ['M-1'], jump2: ['M-2'], jump3: ['M-3'], jump4: ['M-4'], jump5: ['M-5'],
  jump6: ['M-6'], jump7: ['M-7'], jump8: ['M-8'], jump9: ['M-9'],
};

/** Every rebindable action (the names `ui.keys` takes). */
export const ACTIONS = Object.keys(DEFAULT_KEYS) as Action[];

/** Named keys a key id may end in (besides one printable character): what keys.ts decodes. */
const NAMED_KEYS = new Set(['up', 'down', 'left', 'right', 'home', 'end', 'pageup', 'pagedown', 'insert', 'delete', 'clear', 'tab', 'enter', 'escape', 'backspace', 'space', ...Array.from({ length: 12 }, (_, i) => `f${i + 1}`)]);

/**
 * Whether `id` is a key id keys.ts can produce: optional `C-` (Ctrl), `M-` (Alt), `S-` (Shift, named
 * keys only) in that order, then a named key (`up`, `pageup`, `f1`…`f12`, `enter` …) or one printable
 * character (letters in lower case).
 */
export function isKeyId(id: string): boolean {
  const m = /^(C-)?(M-)?(S-)?(.+)$/.exec(id);
  if (!m) return false;
  const name = m[4] ?? '';
  if (NAMED_KEYS.has(name)) return true;
  if (m[3]) return false;
  return [...name].length === 1 && /^[!-~]$/.test(name) && name === name.toLowerCase();
}

/** Keys that mean something only while the composer is empty (else they edit the line). */
export const EMPTY_COMPOSER_KEYS: Record<string, Action> = {
  'C-k': 'switcher',
  home: 'roomTop',
  end: 'roomBottom',
  '?': 'help',
};

/** Builds the key id → action table from defaults plus overrides (`keys[action] = 'C-x'` or a list). Unknown actions are ignored. */
export function buildKeymap(overrides: Record<string, string | string[]> | undefined): Map<string, Action> {
  const table: Record<string, string[]> = { ...DEFAULT_KEYS };
  for (const [action, keys] of Object.entries(overrides ?? {})) {
    if (action in DEFAULT_KEYS) table[action] = Array.isArray(keys) ? keys : [keys];
  }
  const map = new Map<string, Action>();
  for (const [action, keys] of Object.entries(table)) for (const k of keys) map.set(k, action as Action);
  return map;
}

/** The action of a key event, if any. */
export function actionOf(map: Map<string, Action>, ev: KeyEvent): Action | undefined {
  if (ev.name === 'text') return undefined;
  return map.get(keyId(ev));
}

/** Human form of a key id for help texts: `C-n` → `Ctrl-N`, `M-up` → `Alt-Up`. */
export function keyLabel(id: string): string {
  return id
    .replace(/^C-/, 'Ctrl-')
    .replace(/M-/, 'Alt-')
    .replace(/S-/, 'Shift-')
    .replace(/(Ctrl-|Alt-|Shift-|^)([a-z0-9]+)$/, (_m, pre: string, k: string) => pre + (k.length === 1 ? k.toUpperCase() : k === 'pageup' ? 'PgUp' : k === 'pagedown' ? 'PgDn' : k.charAt(0).toUpperCase() + k.slice(1)));
}

/** The first key of an action as a label (`Alt-R`), or undefined when it is unbound. */
export function firstKey(map: Map<string, Action>, a: Action): string | undefined {
  for (const [k, v] of map) if (v === a) return keyLabel(k);
  return undefined;
}

/** What a failed message's row says it takes (`Alt-R resend · Alt-E edit · Alt-X discard`), from the bindings. */
export function failedHint(map: Map<string, Action>): string {
  const part = (a: Action, what: string, cmd?: string): string => {
    const k = firstKey(map, a);
    return k ? `${k} ${what}` : (cmd ?? '');
  };
  return [part('retry', 'resend', '/retry'), part('editFailed', 'edit'), part('discardFailed', 'discard', '/discard')].filter(Boolean).join(' · ');
}

/** A key id in the status line's short form: `C-n` → `^N`, others as in help (`F1`, `Alt-L`, `PgUp`). */
export function shortKey(id: string): string {
  const m = /^C-([a-z])$/.exec(id);
  return m ? `^${(m[1] ?? '').toUpperCase()}` : keyLabel(id);
}

/**
 * The status line's key hints, from the bindings (they follow `ui.keys`): rooms, scrolling, the
 * switcher, help and quit; `narrow` (room list hidden) names the room list's key instead of scrolling.
 */
export function statusHints(map: Map<string, Action>, narrow: boolean): string {
  const first = (a: Action): string | undefined => {
    for (const [k, v] of map) if (v === a) return shortKey(k);
    return undefined;
  };
  const pair = (a: Action, b: Action, what: string): string | undefined => {
    const x = first(a);
    const y = first(b);
    return x && y ? `${x}/${y} ${what}` : x ? `${x} ${what}` : y ? `${y} ${what}` : undefined;
  };
  const one = (a: Action, what: string): string | undefined => {
    const k = first(a);
    return k ? `${k} ${what}` : undefined;
  };
  const parts = narrow
    ? [pair('nextRoom', 'prevRoom', ''), one('toggleRooms', 'rooms'), one('help', 'help'), one('quit', 'quit')]
    : [pair('nextRoom', 'prevRoom', 'rooms'), pair('pageUp', 'pageDown', ''), one('switcher', 'find'), one('help', 'help'), one('quit', 'quit')];
  return parts.filter((p): p is string => p !== undefined).map((p) => p.trim()).join(' · ');
}

/** Help lines of the keys: [keys, what they do] (the commands' lines come from the command registry). */
export function helpLines(map: Map<string, Action>): [string, string][] {
  const keysOf = (a: Action): string => [...map.entries()].filter(([, v]) => v === a).map(([k]) => keyLabel(k)).join(' / ') || '(unbound)';
  return [
    [keysOf('nextRoom'), 'next room'],
    [keysOf('prevRoom'), 'previous room'],
    [`${keysOf('switcher')} / Ctrl-K (empty line)`, 'find a room (fuzzy, all profiles)'],
    ['Alt-1 … Alt-9', 'jump to room 1–9'],
    [keysOf('activity'), 'next room with activity (mentions first)'],
    [keysOf('pageUp'), 'scroll up (fetches older history at the top)'],
    [keysOf('pageDown'), 'scroll down'],
    [`${keysOf('roomTop')} / Home (empty line)`, 'top of the room'],
    [`${keysOf('roomBottom')} / End (empty line)`, 'bottom of the room'],
    ['Enter', 'send'],
    ['Alt-Enter', 'new line in the message'],
    ['Up / Down', 'messages you sent in this room'],
    ['Tab', 'complete names and /commands'],
    ['Ctrl-A / Ctrl-E, Home / End', 'start / end of line'],
    ['Ctrl-B / Ctrl-F, Alt-B / Alt-F', 'back / forward a character, a word'],
    ['Ctrl-W / Ctrl-U / Ctrl-K / Ctrl-Y', 'kill word / to start / to end, yank'],
    ['Backspace / Delete', 'delete before / at the cursor'],
    [keysOf('retry'), 'resend the newest failed message (/retry)'],
    [keysOf('editFailed'), 'take the newest failed message back into the composer'],
    [keysOf('discardFailed'), 'discard the newest failed message (/discard)'],
    [keysOf('reconnect'), 'reconnect now, re-reading the profile (/reconnect)'],
    [keysOf('redraw'), 'redraw the screen'],
    [keysOf('members'), 'member list'],
    [keysOf('toggleRooms'), 'show / hide the room list'],
    [keysOf('copyMode'), 'copy mode: messages as plain text, c/Enter copies one (/copy)'],
    [`${keysOf('help')} / ? (empty line)`, 'this help'],
    [keysOf('quit'), 'quit (/quit)'],
  ];
}
