import { ACTIONS, isKeyId } from '../ui/keymap.js';

/**
 * Checks the config's `ui` section (the TUI's options, src/ui/types.ts UiOptions): one line per
 * problem, naming the key and what it takes. The TUI and the demo say them on stderr at start (the
 * option is then ignored, its default used), `doctor` reports each as a FAIL.
 */

/** The keys of the `ui` section and what each takes. */
const KNOWN: Record<string, string> = {
  timeFormat: 'a time pattern such as "HH:mm"',
  bell: 'true or false',
  mouse: 'true or false',
  notify: 'true or false',
  scrollback: 'a whole number of at least 100 (messages kept per room)',
  keys: 'an object of action: key id or [key ids]',
};

/** Minimum `ui.scrollback` (the store keeps at least one screen and a page of history). */
export const MIN_SCROLLBACK = 100;

const show = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 39)}…` : s;
};

/** The problems of a `ui` section, one line each (empty when all is well). */
export function uiProblems(ui: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(ui)) {
    const what = KNOWN[k];
    if (!what) {
      out.push(`ui.${k.slice(0, 40)}: unknown setting (known: ${Object.keys(KNOWN).join(', ')})`);
      continue;
    }
    const bad = (): void => void out.push(`ui.${k}: ${show(v)} is not ${what}`);
    if (k === 'bell' || k === 'mouse' || k === 'notify') {
      if (typeof v !== 'boolean') bad();
    } else if (k === 'timeFormat') {
      if (typeof v !== 'string' || !v.trim()) bad();
    } else if (k === 'scrollback') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < MIN_SCROLLBACK) bad();
    } else if (k === 'keys') {
      if (!v || typeof v !== 'object' || Array.isArray(v)) bad();
      else out.push(...keyProblems(v as Record<string, unknown>));
    }
  }
  return out;
}

function keyProblems(keys: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [action, v] of Object.entries(keys)) {
    if (!(ACTIONS as string[]).includes(action)) {
      out.push(`ui.keys.${action.slice(0, 40)}: unknown action (actions: ${ACTIONS.join(' ')})`);
      continue;
    }
    const ids = typeof v === 'string' ? [v] : Array.isArray(v) ? v : undefined;
    if (!ids || ids.some((x) => typeof x !== 'string')) {
      out.push(`ui.keys.${action}: ${show(v)} is not a key id or a list of key ids`);
      continue;
    }
    for (const id of ids as string[]) {
      if (!isKeyId(id)) out.push(`ui.keys.${action}: ${show(id)} is not a key id (C-x Ctrl, M-x Alt, f1…f12, pageup, C-home …)`);
    }
  }
  return out;
}
