import type { NoticeThrottle } from '../../core/connection/index.js';
import { ChatError } from '../../core/errors.js';
import type { RoomsAccount } from './account.js';
import { postOk } from './http.js';
import { MAX_RETRIEVE_BYTES, readRetrieve, retrieveList, type WireMessage } from './wire.js';

/**
 * `POST /chat/retrieve {"after": n}` (facts A5): every message of every room the caller occupies with an
 * id above `n`, in no order — returned sorted by id and deduped, in either answer shape (facts A7).
 * Items that are not messages are counted in one throttled notice. Throws ChatError (auth, network,
 * protocol for an answer of another shape).
 */
export async function retrieveAfter(account: RoomsAccount, after: number, signal: AbortSignal, timeout: { timeoutMs?: number }, notices: NoticeThrottle): Promise<WireMessage[]> {
  const answer = await postOk(account.base, '/chat/retrieve', 'rooms (/chat/retrieve)', { token: account.token, body: { after }, signal, limit: MAX_RETRIEVE_BYTES, ...timeout });
  const list = retrieveList(answer.json);
  if (!list) throw new ChatError('protocol', 'rooms: /chat/retrieve answered neither {"messages":[…]} nor {"occupants":[…]}');
  const { messages, malformed } = readRetrieve(list);
  if (malformed) notices.notice('malformed', `rooms: ignored ${malformed} retrieved item(s) that are not messages`);
  return messages;
}
