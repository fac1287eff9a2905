/**
 * Talkee endpoints (facts §2, §5, §6, §7; conformance README: `--url` is the chat base, the socket is
 * at it and the chat REST `/messages` under it; `--api-url` is the REST API base).
 */

/** Default chat base (facts §2 "WebSocket" / "chat REST", same host). Given as https; the socket uses wss. */
export const DEFAULT_URL = 'https://talkee-ws.pando.im/ws';

/** Default REST API base (facts §2 "REST API"). */
export const DEFAULT_API_URL = 'https://talkee-api.pando.im/api';

function withScheme(base: string, secure: string, plain: string): URL {
  const url = new URL(base);
  if (url.protocol === 'https:' || url.protocol === 'wss:') url.protocol = secure;
  else if (url.protocol === 'http:' || url.protocol === 'ws:') url.protocol = plain;
  url.pathname = url.pathname.replace(/\/+$/, '');
  url.hash = '';
  return url;
}

/** Adds `site_id` and `slug` as query parameters (facts §3; the slug is sent as it is, untrimmed). */
function withSite(url: URL, siteId: number, slug: string): URL {
  url.searchParams.set('site_id', String(siteId));
  url.searchParams.set('slug', slug);
  return url;
}

/** The socket URL of one room: `{base as ws(s)}?site_id=N&slug=S` (facts §5). */
export function socketUrl(base: string, siteId: number, slug: string): URL {
  return withSite(withScheme(base, 'wss:', 'ws:'), siteId, slug);
}

/** The chat REST URL: `{base as http(s)}/messages?site_id=N&slug=S` (facts §6). */
export function messagesUrl(base: string, siteId: number, slug: string): URL {
  const url = withScheme(base, 'https:', 'http:');
  url.pathname = `${url.pathname}/messages`;
  return withSite(url, siteId, slug);
}

/** A REST API URL: `{apiUrl}{path}` (facts §7), e.g. `/auth/login`, `/me`. */
export function apiUrl(base: string, path: string): URL {
  const url = withScheme(base, 'https:', 'http:');
  url.pathname = `${url.pathname}${path}`;
  return url;
}
