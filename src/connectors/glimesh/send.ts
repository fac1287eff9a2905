import type { PendingSends } from '../../core/connection/index.js';
import { ChatError, toChatError } from '../../core/errors.js';
import type { UserRef } from '../../core/events.js';
import { sanitize, sanitizeLine } from '../../core/sanitize.js';
import type { DocReply } from './control.js';
import type { GqlResult, GraphHttp } from './http.js';
import type { ChatPages, Msg } from './pages.js';
import { CREATE_MESSAGE, MAX_MESSAGE_GRAPHEMES, errorsOf, graphemeCount, isRecord, parseMessage, type GqlError } from './wire.js';

/**
 * Sending chat messages with `createChatMessage` and variables (facts §6 createChatMessage, §8 item 8):
 * over the socket when joined, else over HTTP. A refusal is not a transport error but a GraphQL error
 * in an "ok" reply (facts §2 "Read-only failure"); a push without a reply (a crash, a time-out, a drop)
 * may still have been stored, so the channel is looked at before the send fails (facts §9 "Sending").
 */

/** Why a client-id profile cannot send (facts §2: a client id has no scopes). */
export const READ_ONLY_REASON = 'signed in with a client id only, which Glimesh makes read-only; add --token or run chat-tui login';

/** What a send needs from its session. */
export interface SendDeps {
  /** The profile is read-only (client id). */
  readOnly(): boolean;
  /** The session failed for good with this error. */
  failed(): ChatError | undefined;
  /** Pushes a document on the control channel when it is joined, else undefined (send over HTTP). */
  push(query: string, variables: Record<string, unknown>, what: string): Promise<DocReply> | undefined;
  http(): GraphHttp;
  pages: ChatPages;
  /** The channel id of a room reference (looked up when new); throws ChatError not_found. */
  channel(ref: string): Promise<string>;
  /** Our user, when known (token profiles). */
  me(): UserRef | undefined;
  /** The kit's pending sends: our sends' copies, by server id, carry their txnId. */
  pending: PendingSends;
}

/** Maps GraphQL errors of a refused mutation to a ChatError with the server's text (facts §6). */
export function refusal(errors: GqlError[], what: string, readOnly: boolean): ChatError {
  const text = errors.map((e) => e.message).join('; ').slice(0, 300);
  if (!text) return new ChatError('protocol', `${what}: Glimesh returned no message and no error`, { retryable: false });
  if (/^unauthori[sz]ed$/i.test(text.trim())) {
    if (readOnly) return new ChatError('read_only', `${what}: ${READ_ONLY_REASON}`, { retryable: false });
    return new ChatError('auth', `${what}: Glimesh said "unauthorized": the token lacks the "chat" scope (or the rights for this)`, { retryable: false });
  }
  if (text === 'Could not find resource') return new ChatError('not_found', `${what}: not found on Glimesh`, { retryable: false });
  return new ChatError('forbidden', text, { retryable: false });
}

/** The sends of one session. */
export class Sender {
  constructor(private readonly deps: SendDeps) {}

  /**
   * Sends `text` to room `roomRef` (channel id or streamer username). Checks 1–255 graphemes first. Resolves with the server's copy
   * and `txnId`. Refusals: "unauthorized" → auth (the token lacks scope `chat`), the policy texts (bans,
   * timeouts, e-mail, links, length) → forbidden with the server's words; a client-id profile →
   * read_only without calling the server; no reply and not found in the channel → network.
   */
  async send(roomRef: string, text: string, txnId: string): Promise<Msg & { txnId: string }> {
    const d = this.deps;
    if (d.readOnly()) throw new ChatError('read_only', `cannot send: ${READ_ONLY_REASON}`, { retryable: false });
    if (!text.trim()) throw new ChatError('forbidden', 'Glimesh does not take empty messages', { retryable: false });
    const n = graphemeCount(text);
    if (n > MAX_MESSAGE_GRAPHEMES) throw new ChatError('forbidden', `message too long: ${n} characters (Glimesh allows at most ${MAX_MESSAGE_GRAPHEMES})`, { retryable: false });
    const failed = d.failed();
    if (failed) throw failed;
    const channelId = await d.channel(roomRef);
    // The kit's one way to send: a live copy of ours that comes before the reply carries the txnId too.
    const copy = await d.pending.send(channelId, text, txnId, () => this.post(channelId, text, txnId), { answers: true });
    return { ...copy, txnId };
  }

  /** Puts the message on the wire (socket when joined, else HTTP); resolves with the server's copy. */
  private async post(channelId: string, text: string, txnId: string): Promise<Msg> {
    const d = this.deps;
    const variables = { channelId, message: text };
    let result: GqlResult;
    const started = Date.now();
    const pushed = d.push(CREATE_MESSAGE, variables, 'send');
    if (pushed) {
      let reply: DocReply;
      try {
        reply = await pushed;
      } catch (err) {
        // No reply (time-out, phx_error, drop): the server may still have stored it. Look before failing,
        // so that a retry does not post it twice.
        const e = toChatError(err);
        const found = e.code === 'network' ? await this.findSent(channelId, text, txnId, started).catch(() => undefined) : undefined;
        if (!found) throw e;
        return found;
      }
      const response = reply.response;
      result = { data: isRecord(response.data) ? response.data : {}, errors: errorsOf(response) };
      if (reply.status === 'error' && !result.errors.length) result.errors = [{ message: typeof response.error === 'string' ? sanitizeLine(response.error) : 'refused' }];
    } else {
      result = await d.http().run(CREATE_MESSAGE, variables, 'send');
    }
    const ev = parseMessage(result.data.createChatMessage, channelId);
    if (!ev) throw refusal(result.errors, 'send', d.readOnly());
    return ev;
  }

  /**
   * Our message with exactly this text, stored since `since` (ms; insertedAt has whole seconds), not
   * the copy of another of our sends — or undefined. Needs our user id (token profiles, from `myself`).
   */
  private async findSent(channelId: string, text: string, txnId: string, since: number): Promise<Msg | undefined> {
    const me = this.deps.me();
    if (!me) return undefined;
    const want = sanitize(text);
    const page = await this.deps.pages.page(channelId, 50, undefined);
    // `match` gives a copy of one of our sends its txnId (and may confirm this very send with it).
    const free = (m: Msg): boolean => {
      const t = this.deps.pending.match(m).txnId;
      return t === undefined || t === txnId;
    };
    return page.messages.filter((m) => m.author.id === me.id && m.text === want && Date.parse(m.time) >= since - 2000 && free(m)).at(-1);
  }
}
