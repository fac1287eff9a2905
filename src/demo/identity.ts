import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * What `chat-tui demo --serve` keeps between runs in the state directory (`demo.json`, mode 0600), so the
 * `chat-tui profile add …` line it printed yesterday still works today: the API key the server accepts
 * and the port it listened on last.
 */
export interface DemoIdentity {
  /** The demo server's API key (`demo_` + 32 hex digits). */
  token: string;
  /** The port it listened on last (1–65535), when known. */
  port?: number;
}

const FILE = 'demo.json';
const TOKEN = /^demo_[0-9a-f]{32}$/;

/** A fresh key. */
function newToken(): string {
  return `demo_${randomBytes(16).toString('hex')}`;
}

/** Parses the file's text; undefined when it is not a demo identity. */
function parse(text: string): DemoIdentity | undefined {
  try {
    const o = JSON.parse(text) as { token?: unknown; port?: unknown };
    if (typeof o !== 'object' || o === null || typeof o.token !== 'string' || !TOKEN.test(o.token)) return undefined;
    const port = typeof o.port === 'number' && Number.isInteger(o.port) && o.port > 0 && o.port < 65536 ? o.port : undefined;
    return port === undefined ? { token: o.token } : { token: o.token, port };
  } catch {
    return undefined;
  }
}

/**
 * Reads the demo identity of state directory `dir` (which must exist), creating it with a fresh key when
 * there is none or it is unreadable. A second process racing to create it reads the first one's
 * (`wx`: exclusive create). Returns the identity; never throws (a directory we cannot write gives a
 * fresh, unsaved key: the demo still runs, its line just will not survive a restart).
 */
export function loadDemoIdentity(dir: string): DemoIdentity {
  const file = path.join(dir, FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const found = parse(fs.readFileSync(file, 'utf8'));
      if (found) return found;
      fs.rmSync(file, { force: true }); // unusable: replaced below
    } catch {
      // missing: created below
    }
    const fresh: DemoIdentity = { token: newToken() };
    try {
      fs.writeFileSync(file, JSON.stringify(fresh), { mode: 0o600, flag: 'wx' });
      return fresh;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return fresh;
      // another process created it first: read theirs
    }
  }
  return { token: newToken() };
}

/**
 * Records the port the demo server listened on (written to a temporary file and renamed over the old
 * one, so a crash leaves the old file or the new one, never half of either). Never throws.
 */
export function saveDemoPort(dir: string, identity: DemoIdentity, port: number): void {
  const file = path.join(dir, FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, JSON.stringify({ token: identity.token, port }), { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}
