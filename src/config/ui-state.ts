import fs from 'node:fs';
import path from 'node:path';
import { DIR_MODE, FILE_MODE } from './paths.js';

/**
 * What the TUI remembers across restarts — the room shown last, the room list's order, drafts, sent
 * lines and read markers — kept in
 * `<stateDir>/ui-state.json`. Written atomically: a temp file (mode 0600) is written and fsynced,
 * then renamed over the old one and the directory fsynced, so a crash, kill -9 or full disk leaves
 * the old file or the new one, never half of one; a second chat-tui process writing at the same
 * time makes the last write win (what it remembers is a preference, not data). A file that cannot
 * be read or parsed is treated as empty (nothing remembered).
 */

/** The file name in the state directory. */
export const UI_STATE_FILE = 'ui-state.json';

/** The remembered state (the same shape as the TUI's UiMemory). */
export interface UiState {
  lastRoom?: string;
  roomOrder?: string[];
  /** Room key → the composer's unsent text. */
  drafts?: Record<string, string>;
  /** Room key → the lines sent there (oldest first), for Up/Down and Ctrl-R. */
  sent?: Record<string, string[]>;
  /** Room key → the last message read there: id and server time (ms since epoch). */
  readMarkers?: Record<string, { id: string; ts: number }>;
}

/** A record of strings (drafts) or of string lists (sent lines) from parsed JSON; other values are dropped. */
function stringRecord<T extends string | string[]>(v: unknown, list: boolean): Record<string, T> | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const out: Record<string, T> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (list ? Array.isArray(x) : typeof x === 'string') out[k] = (list ? (x as unknown[]).filter((e): e is string => typeof e === 'string') : x) as T;
  }
  return out;
}

/** The read markers from parsed JSON (`{id: string, ts: number}` per room); other values are dropped. */
function readMarkers(v: unknown): Record<string, { id: string; ts: number }> | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const out: Record<string, { id: string; ts: number }> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const m = x as { id?: unknown; ts?: unknown } | null;
    if (m && typeof m.id === 'string' && typeof m.ts === 'number' && Number.isFinite(m.ts)) out[k] = { id: m.id, ts: m.ts };
  }
  return out;
}

/** Reads `<dir>/ui-state.json`; {} when missing or unreadable. Never throws. */
export function loadUiState(dir: string): UiState {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(path.join(dir, UI_STATE_FILE), 'utf8'));
  } catch {
    return {};
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return {};
  const o = raw as Record<string, unknown>;
  const out: UiState = {};
  if (typeof o.lastRoom === 'string') out.lastRoom = o.lastRoom;
  if (Array.isArray(o.roomOrder)) out.roomOrder = o.roomOrder.filter((k): k is string => typeof k === 'string');
  const drafts = stringRecord<string>(o.drafts, false);
  if (drafts) out.drafts = drafts;
  const sent = stringRecord<string[]>(o.sent, true);
  if (sent) out.sent = sent;
  const marks = readMarkers(o.readMarkers);
  if (marks) out.readMarkers = marks;
  return out;
}

/**
 * Writes `<dir>/ui-state.json` atomically (see the module comment), `state` merged over what the file
 * holds (the room memory and the composer's drafts and sent lines are saved by different parts of the
 * TUI). Returns false when it could not (nothing changed on disk).
 */
export function saveUiState(dir: string, patch: UiState): boolean {
  const state: UiState = { ...loadUiState(dir), ...patch };
  const file = path.join(dir, UI_STATE_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
    const fd = fs.openSync(tmp, 'w', FILE_MODE);
    try {
      fs.writeSync(fd, JSON.stringify(state));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    try {
      const dfd = fs.openSync(dir, 'r');
      try {
        fs.fsyncSync(dfd);
      } finally {
        fs.closeSync(dfd);
      }
    } catch {
      // not every platform fsyncs directories; the rename is still atomic
    }
    return true;
  } catch {
    fs.rmSync(tmp, { force: true });
    return false;
  }
}
