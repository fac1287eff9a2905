import chalk, { Chalk, type ChalkInstance, type ForegroundColorName } from 'chalk';

/**
 * Colours and text attributes of the TUI. The default theme uses
 * only the 16 ANSI colours that read on dark and light backgrounds (no white/black/grey text).
 * `NO_COLOR` (any non-empty value) and `--no-color` turn colours off; attributes (bold, dim,
 * inverse, underline) stay, and every state also has a non-colour marker (✗, ⧗, *, ›) so
 * nothing depends on colour alone. chalk itself ignores NO_COLOR (../shared/notes/stack.md §3g).
 */
/** A colour Ink's `<Text color>` takes: an ANSI name, or `ansi256(N)` (a 256-colour index). */
export type UiColor = ForegroundColorName | `ansi256(${number})`;

export interface Theme {
  /** Colour names for Ink `<Text color>`; undefined when colours are off. */
  color(name: ForegroundColorName): ForegroundColorName | undefined;
  /** ANSI-styling helpers for pre-rendered message lines. */
  c: ChalkInstance;
  noColor: boolean;
  /** Props for Ink `<Text {...fg('red')}>`: `{}` when colours are off (exactOptionalPropertyTypes-safe). */
  fg(name: UiColor | undefined): { color?: UiColor };
  /**
   * Colour of a user, stable across runs (hash of the user id): one of {@link USER_PALETTE_256}
   * where the terminal has 256 colours (chalk level ≥ 2), else of the 11 of {@link USER_PALETTE}.
   */
  userColor(userId: string): UiColor | undefined;
  /**
   * Colours for the people on one screen that differ while the palette lasts: in id order each takes
   * its own {@link userColor} unless an earlier one has it, else the next free colour of the palette.
   * Empty without colours.
   */
  distinctColors(userIds: Iterable<string>): Map<string, UiColor>;
  /** Styles a string in a colour (no-op without colours). */
  paint(name: UiColor | undefined, s: string): string;
  /** Whether URLs are wrapped in OSC 8 hyperlinks. */
  hyperlinks: boolean;
}

/**
 * Whether the terminal shows OSC 8 hyperlinks ("OSC 8 hyperlinks when the terminal supports
 * them"). `FORCE_HYPERLINK=1`/`0` decides; otherwise known terminals (iTerm2, WezTerm, VS Code,
 * Ghostty, kitty, foot, Windows Terminal, VTE ≥ 0.50), inside tmux from 3.4 on (it passes them
 * through), and never inside older tmux or screen (which may drop or mangle them) or with `TERM=dumb`.
 */
export function supportsHyperlinks(env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env['FORCE_HYPERLINK'];
  if (force !== undefined && force !== '') return force !== '0';
  // tmux passes OSC 8 through to the outer terminal from 3.4 on (its CHANGES: "hyperlinks"); it says
  // its version in TERM_PROGRAM / TERM_PROGRAM_VERSION (set since 3.2).
  if (env['TMUX'] && env['TERM_PROGRAM'] === 'tmux') return tmuxVersionAtLeast(env['TERM_PROGRAM_VERSION'] ?? '', 3, 4);
  if (env['TMUX'] || env['STY'] || env['TERM'] === 'dumb' || (env['TERM'] ?? '').startsWith('screen') || (env['TERM'] ?? '').startsWith('tmux')) return false;
  const program = env['TERM_PROGRAM'] ?? '';
  if (['iTerm.app', 'WezTerm', 'vscode', 'ghostty'].includes(program)) return true;
  if (env['KITTY_WINDOW_ID'] || env['WT_SESSION'] || env['TERM'] === 'xterm-kitty' || env['TERM'] === 'foot') return true;
  return Number(env['VTE_VERSION'] ?? 0) >= 5000;
}

/** Whether a tmux version string (`3.4`, `3.5a`, `next-3.6`) is at least `major.minor`. */
function tmuxVersionAtLeast(v: string, major: number, minor: number): boolean {
  const m = /(\d+)\.(\d+)/.exec(v);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}

/** Palette for authors: readable on dark and light terminals. */
export const USER_PALETTE: ForegroundColorName[] = [
  'red', 'green', 'blue', 'magenta', 'cyan', 'yellow', 'redBright', 'greenBright', 'blueBright', 'magentaBright', 'cyanBright',
];

/**
 * Author colours of 256-colour terminals: 40 mid-light, saturated indexes of the 6×6×6 cube that read on
 * dark and light backgrounds (no greys, no near-white or near-black, no pale yellows): 8 authors on one
 * screen all differ with 47 % chance among 40 colours, 3 % among the 11 of {@link USER_PALETTE}.
 */
export const USER_PALETTE_256: readonly number[] = [
  25, 26, 27, 31, 32, 33, 37, 38, 39, 61, 62, 63, 67, 68, 69, 73, 97, 98, 99, 103,
  125, 126, 127, 128, 129, 130, 131, 132, 133, 134, 160, 161, 162, 163, 164, 166, 167, 168, 169, 170,
];

/** 32-bit FNV-1a of a string; stable across runs and platforms. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Whether colours are off: `NO_COLOR` non-empty (https://no-color.org) or `--no-color` on the command line. */
export function colorDisabled(env: NodeJS.ProcessEnv = process.env, argv: string[] = process.argv): boolean {
  return Boolean(env['NO_COLOR']) || argv.includes('--no-color');
}

/** Builds a theme. `level` overrides chalk's detected colour level (tests pass 0..3). */
export function makeTheme(opts: { noColor?: boolean; level?: 0 | 1 | 2 | 3; hyperlinks?: boolean } = {}): Theme {
  const noColor = opts.noColor ?? colorDisabled();
  // A separate chalk instance when a level is forced, so tests never touch the global one Ink uses.
  const inst = opts.level === undefined ? chalk : new Chalk({ level: opts.level });
  return {
    c: inst,
    noColor,
    color: (name) => (noColor ? undefined : name),
    fg: (name) => (noColor || !name ? {} : { color: name }),
    userColor: (id) => {
      if (noColor) return undefined;
      const h = hash32(id);
      return inst.level >= 2 ? `ansi256(${USER_PALETTE_256[h % USER_PALETTE_256.length]!})` : USER_PALETTE[h % USER_PALETTE.length];
    },
    distinctColors: (ids) => {
      const out = new Map<string, UiColor>();
      if (noColor) return out;
      const big = inst.level >= 2;
      const n = big ? USER_PALETTE_256.length : USER_PALETTE.length;
      const colour = (i: number): UiColor => (big ? `ansi256(${USER_PALETTE_256[i]!})` : USER_PALETTE[i]!);
      const taken = new Set<number>();
      for (const id of [...new Set(ids)].sort()) {
        let i = hash32(id) % n;
        for (let k = 0; k < n && taken.has(i); k++) i = (i + 1) % n;
        taken.add(i);
        out.set(id, colour(i));
      }
      return out;
    },
    paint: (name, s) => {
      if (noColor || !name) return s;
      const n = /^ansi256\((\d+)\)$/.exec(name);
      return n ? inst.ansi256(Number(n[1]))(s) : inst[name as ForegroundColorName](s);
    },
    hyperlinks: opts.hyperlinks ?? (opts.level === undefined && supportsHyperlinks()),
  };
}

let current: Theme | undefined;
/** The process-wide theme (built on first use). */
export function theme(): Theme {
  current ??= makeTheme();
  return current;
}
/** Replaces the process-wide theme (tests, `--no-color`). */
export function setTheme(t: Theme): void {
  current = t;
}
