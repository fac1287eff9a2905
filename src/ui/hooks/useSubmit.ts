import { useCallback } from 'react';
import type { Capabilities } from '../../core/connector.js';
import type { ConnectionState } from '../../core/events.js';
import { DEFAULT_READ_ONLY_REASON, sendRefusal } from '../../core/runtime/send-policy.js';
import { completeCommand, findCommand, parseInput } from '../commands/registry.js';
import type { CommandContext } from '../commands/types.js';
import type { SubmitResult } from '../components/Composer.js';
import { completeNames } from '../completion.js';
import type { UiStore } from '../types.js';

/** Inputs of {@link useSubmit}: the command context plus the shown profile's state. */
export interface SubmitDeps extends CommandContext {
  caps: Capabilities | undefined;
  pstate: ConnectionState | undefined;
  preason: string | undefined;
  store: UiStore;
}

/** What {@link useSubmit} returns: the composer's callbacks and its state line. */
export interface Submit {
  onSubmit(raw: string): SubmitResult;
  complete(word: string, atLineStart: boolean): string[];
  /** Why the composer cannot send (it still takes /commands). */
  disabledReason: string | undefined;
  /** A hint under the composer (no room, sends are queued). */
  note: string | undefined;
}

/**
 * The composer's Enter and Tab: a line is a slash command (run through the registry), or text sent
 * to the shown room after the send policy (core/runtime/send-policy.ts) and the profile's state
 * allow it; a refused text stays in the composer with the reason as a notice.
 */
export function useSubmit(d: SubmitDeps): Submit {
  const { runtime, store, activeKey, profile, caps, pstate, preason, notify, pick, quit, openHelp, toggleMembers, retry, reconnect, scrollToBottom, clearRoom, moveRoom, openSearch, openUrls, openCopy, openStatus } = d;

  const runCommand = useCallback((name: string, args: string[], rest: string): SubmitResult => {
    const cmd = findCommand(name);
    if (!cmd) return 'keep';
    const ctx: CommandContext = { runtime, store, activeKey, profile, notify, pick, quit, openHelp, toggleMembers, retry, reconnect, scrollToBottom, clearRoom, moveRoom, ...(openSearch ? { openSearch } : {}), ...(openUrls ? { openUrls } : {}), ...(openCopy ? { openCopy } : {}), ...(openStatus ? { openStatus } : {}) };
    return cmd.run(ctx, { args, rest }) === 'keep' ? 'keep' : 'clear';
  }, [runtime, store, activeKey, profile, notify, pick, quit, openHelp, toggleMembers, retry, reconnect, scrollToBottom, clearRoom, moveRoom, openSearch, openUrls, openCopy, openStatus]);

  const sendText = useCallback((text: string): SubmitResult => {
    if (!activeKey) return notify('no room open — /join ROOM'), 'keep';
    const refusal = sendRefusal(caps, text);
    if (refusal?.code === 'read_only') return notify(`read-only: ${refusal.reason}`), 'keep';
    if (pstate === 'failed') return notify(`${profile ?? ''} failed: ${preason ?? 'not connected'} — F5 to reconnect`), 'keep';
    if (refusal) return notify(refusal.reason), 'keep';
    runtime.send(activeKey, text);
    scrollToBottom();
    return 'clear';
  }, [activeKey, caps, pstate, profile, preason, runtime, notify, scrollToBottom]);

  const onSubmit = useCallback((raw: string): SubmitResult => {
    const p = parseInput(raw, caps);
    switch (p.kind) {
      case 'empty': return 'keep';
      case 'error': notify(p.message); return 'keep';
      case 'command': return runCommand(p.name, p.args, p.rest);
      case 'text': return sendText(p.text);
    }
  }, [notify, runCommand, sendText, caps]);

  const complete = useCallback((word: string, atLineStart: boolean): string[] => {
    if (atLineStart && word.startsWith('/')) return completeCommand(word.slice(1), caps);
    return completeNames(store.getState(), activeKey, word, atLineStart);
  }, [store, activeKey, caps]);

  let disabledReason: string | undefined;
  let note: string | undefined;
  if (caps?.readOnly) disabledReason = `read-only: ${caps.readOnlyReason ?? DEFAULT_READ_ONLY_REASON} (type / for commands)`;
  else if (pstate === 'failed') disabledReason = `${profile ?? ''} failed: ${preason ?? 'not connected'} — F5 reconnects (type / for commands)`;
  else if (!activeKey) note = 'no room open — /join ROOM';
  else if (pstate && pstate !== 'connected') note = `${pstate}: sends are queued`;

  return { onSubmit, complete, disabledReason, note };
}
