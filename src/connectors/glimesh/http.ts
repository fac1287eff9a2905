import type { GraphQLClient } from 'graphql-request';
import { ChatError, toChatError } from '../../core/errors.js';
import { describeNetworkError, readCapped, safeFetch } from '../http.js';
import { sanitizeLine } from '../../core/sanitize.js';
import { MAX_FRAME_BYTES, errorsOf, isRecord, type GqlError } from './wire.js';

/**
 * GraphQL over HTTP for Glimesh (`POST {url}/api/graph`, the new schema; facts §2 "HTTP", §5) through
 * graphql-request. Authorization is `Bearer <token>` or `Client-ID <id>` (facts §2).
 */

/** A credential: an access token, or a client id (read-only, no scopes; facts §2). */
export type Credential = { kind: 'token'; token: string } | { kind: 'client'; clientId: string };

/** Per-request time limit, ms. */
export const HTTP_TIMEOUT_MS = 20_000;

/** A GraphQL result: `data` (may be partial) and the `errors` list (sanitised, possibly empty). */
export interface GqlResult {
  data: Record<string, unknown>;
  errors: GqlError[];
}

/** Base URL without trailing slashes; ws(s):// is taken as http(s)://. */
export function httpBase(url: string): string {
  return url.replace(/\/+$/, '').replace(/^ws(s?):\/\//i, 'http$1://');
}

/** The Authorization header value of a credential (facts §2: exactly one of these prefixes). */
export function authorization(cred: Credential): string {
  return cred.kind === 'token' ? `Bearer ${cred.token}` : `Client-ID ${cred.clientId}`;
}

/**
 * Maps an HTTP status of `/api/graph` to a ChatError (facts §2, §5): 401 auth (the server's text,
 * e.g. "Given access token is invalid, revoked, or expired."), 404 not_found (an unknown channel in a
 * mutation raises Ecto.NoResultsError), 429 rate_limited, 400/405 protocol, 5xx network (retryable).
 * With a client id, 400/500 mean an unusable client id (facts §2, inferred) and are auth errors.
 */
export function httpError(status: number, body: string, what: string, cred: Credential, retryAfter?: string | null): ChatError {
  let text = '';
  try {
    const json: unknown = JSON.parse(body);
    text = errorsOf(json)[0]?.message ?? (typeof json === 'string' ? sanitizeLine(json) : '');
  } catch {
    text = '';
  }
  const said = text ? `: ${text.slice(0, 200)}` : '';
  if (status === 401 || status === 403) return new ChatError('auth', `${what}: Glimesh refused the ${cred.kind === 'token' ? 'token' : 'client id'} (HTTP ${status}${said})`, { retryable: false });
  if (cred.kind === 'client' && (status === 400 || status === 500)) {
    return new ChatError('auth', `${what}: Glimesh did not accept the client id (HTTP ${status}); check --client-id`, { retryable: false });
  }
  if (status === 404) return new ChatError('not_found', `${what}: not found (HTTP 404)`, { retryable: false });
  if (status === 429) {
    const secs = Number(retryAfter);
    const opts: { retryAfterMs?: number } = {};
    if (Number.isFinite(secs) && secs >= 0) opts.retryAfterMs = secs * 1000;
    return new ChatError('rate_limited', `${what}: rate limited (HTTP 429)`, opts);
  }
  if (status >= 500) return new ChatError('network', `${what}: server error (HTTP ${status})`);
  return new ChatError('protocol', `${what}: HTTP ${status}${said}`, { retryable: false });
}

/**
 * The `fetch` graphql-request is given: the connectors' redirect rule (same origin only, so the token
 * never goes to another host; ../http.ts `safeFetch`) and the body read up to 1 MiB (MAX_FRAME_BYTES)
 * before graphql-request sees it. Throws ChatError `protocol` for either, which `run` prefixes.
 */
export const boundedFetch: typeof fetch = async (input, init) => {
  const url = typeof input === 'string' || input instanceof URL ? input : input.url;
  const res = await safeFetch(url, init ?? {});
  const text = await readCapped(res, MAX_FRAME_BYTES);
  return new Response(text, { status: res.status, statusText: res.statusText, headers: res.headers });
};

/**
 * graphql-request and graphql (~140 modules) are imported on the first request, not when the connector
 * registry loads: a start that never talks to Glimesh (`chat-tui demo`, other services) does not pay
 * for them (startup time).
 */
let graphqlRequest: Promise<typeof import('graphql-request')> | undefined;
function loadGraphqlRequest(): Promise<typeof import('graphql-request')> {
  graphqlRequest ??= import('graphql-request');
  return graphqlRequest;
}

/** GraphQL over HTTP with one credential. */
export class GraphHttp {
  private client: GraphQLClient | undefined;
  private readonly endpoint: string;

  /** `base`: the site base URL (`https://glimesh.tv`); requests go to `{base}/api/graph`. */
  constructor(
    base: string,
    private readonly cred: Credential,
    private readonly timeoutMs = HTTP_TIMEOUT_MS,
  ) {
    this.endpoint = `${httpBase(base)}/api/graph`;
  }

  /**
   * Runs a document with variables. Resolves `{data, errors}` for every HTTP 200 (GraphQL errors are
   * data to the caller: refusals, not found). Rejects with ChatError for HTTP errors, time-outs and
   * network failures. `what` names the operation in messages. The token never appears in a message.
   */
  async run(query: string, variables: Record<string, unknown>, what: string, signal?: AbortSignal): Promise<GqlResult> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let lib: typeof import('graphql-request') | undefined;
    try {
      lib = await loadGraphqlRequest();
      this.client ??= new lib.GraphQLClient(this.endpoint, {
        headers: { authorization: authorization(this.cred) },
        errorPolicy: 'all',
        fetch: boundedFetch,
      });
      const res = await this.client.rawRequest<unknown>({ query, variables, signal: combined });
      const data = isRecord(res.data) ? res.data : {};
      return { data, errors: errorsOf({ errors: res.errors }) };
    } catch (err) {
      if (lib && err instanceof lib.ClientError) {
        const status = err.response.status;
        if (status >= 200 && status < 300) {
          // A 200 whose body graphql-request could not take as a result.
          const errors = errorsOf(err.response);
          if (errors.length) return { data: isRecord(err.response.data) ? err.response.data : {}, errors };
          throw new ChatError('protocol', `${what}: unexpected answer from Glimesh`, { retryable: false });
        }
        throw httpError(status, typeof err.response.body === 'string' ? err.response.body : '', what, this.cred, err.response.headers?.get?.('retry-after'));
      }
      if (signal?.aborted) throw new ChatError('network', `${what}: cancelled`);
      if (timeout.aborted) throw new ChatError('network', `${what}: no answer within ${Math.round(this.timeoutMs / 1000)} s`);
      const words = describeNetworkError(err);
      if (words) throw new ChatError('network', `${what}: cannot reach Glimesh: ${words}`, { retryable: true });
      const e = toChatError(err);
      throw new ChatError(e.code, `${what}: ${e.message}`, { retryable: e.retryable });
    }
  }
}
