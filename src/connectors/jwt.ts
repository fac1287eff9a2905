/**
 * The claims of a JWT (RFC 7519 §3: the second dot-separated part, base64url JSON), read without
 * verifying the signature — only the server can — for what a client may learn from its own token (our
 * user id, the expiry). Undefined when `token` is not a JWT with an object as its claims. Never throws.
 */
export function jwtClaims(token: string | undefined): Record<string, unknown> | undefined {
  const part = token?.split('.')[1];
  if (!part) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
