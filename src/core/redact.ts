/**
 * Redaction of secrets from text we print or show (a last line of defence: errors should not carry a
 * secret in the first place). A secret may come back from a server or a library in another spelling
 * than ours, so each is looked for in every form it travels in: as is, URL-encoded (a query string),
 * JSON-escaped (an echoed body), and base64/base64url (a Basic header, a JWT part, an echoed
 * binary frame) at each of the three byte alignments, since inside a longer base64 text the secret's
 * characters depend on where it starts. Credentials after an auth scheme (`Bearer …`, `Basic …`,
 * `Client-ID …`) or in a credential header (`X-API-Key: …`) are hidden whether we know them or not.
 */

/** Secrets shorter than this are not redacted (they would blank out ordinary words). */
export const MIN_SECRET_LENGTH = 4;

/**
 * The base64 characters that encode `bytes` alone when they start `k` (0–2) bytes into a longer
 * buffer: the characters shared with the neighbouring bytes are left out.
 */
function base64Core(bytes: Buffer, k: number): string {
  const b64 = Buffer.concat([Buffer.alloc(k), bytes]).toString('base64');
  const start = Math.ceil((8 * k) / 6);
  const end = Math.floor((8 * (k + bytes.length)) / 6);
  return b64.slice(start, end);
}

/**
 * Every spelling of `secret` to look for (longest first, duplicates removed): itself, its URL encoding,
 * its JSON string escaping, and its base64 and base64url cores at the three alignments (only those of
 * at least 6 characters: shorter ones would match ordinary text). Empty for a secret shorter than
 * {@link MIN_SECRET_LENGTH}.
 */
export function secretForms(secret: string): string[] {
  if (secret.length < MIN_SECRET_LENGTH) return [];
  const forms = new Set<string>([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
  const bytes = Buffer.from(secret, 'utf8');
  for (let k = 0; k < 3; k++) {
    const core = base64Core(bytes, k);
    if (core.length < 6) continue;
    forms.add(core);
    forms.add(core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

/**
 * An auth scheme and its credential (8+ characters with a digit or a symbol, so that "Bearer
 * authentication" in a sentence stays), or a credential header and its value.
 */
const CREDENTIALS =
  /\b(Bearer|Basic|Client-ID)(\s+|%20)(?!\*\*\*)(?=[A-Za-z0-9._~+/=%-]*[0-9._~+/=%-])[A-Za-z0-9._~+/=%-]{8,}|\b((?:x-api-key|x-auth-token|api-key)["']?\s*[:=]\s*["']?)(?!\*\*\*)[^\s"',;&]{4,}/gi;

/**
 * `text` with every form of every secret of `forms` (from {@link secretForms}) replaced by `***`, and
 * (when `credentials`) every credential after an auth scheme or in a credential header too:
 * `Authorization: Bearer abc.def` → `Authorization: Bearer ***`. For error texts and notices; plain
 * output of chat messages leaves `credentials` off (a message may talk about "Bearer tokens").
 */
export function redactText(text: string, forms: Iterable<string>, credentials = false): string {
  let out = text;
  for (const f of forms) if (out.includes(f)) out = out.split(f).join('***');
  if (credentials) out = out.replace(CREDENTIALS, (_m, scheme: string | undefined, gap: string | undefined, header: string | undefined) => (scheme ? `${scheme}${gap ?? ' '}***` : `${header ?? ''}***`));
  return out;
}
