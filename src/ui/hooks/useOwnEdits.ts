import { useCallback } from 'react';
import type { Capabilities } from '../../core/connector.js';
import { ownMessage } from '../own-messages.js';
import type { UiRuntime, UiStore } from '../types.js';

/** What {@link useOwnEdits} gives the composer (Composer's `editLast` / `onEdit`). */
export interface OwnEdits {
  editLast: (() => { id: string; text: string } | undefined) | undefined;
  onEdit(id: string, text: string): void;
}

/**
 * Editing our own messages in place (Up on an empty composer, as in Slack and gomuks): with the
 * capability `editOwn`, `editLast` is our newest sent message of the shown room; `onEdit` saves
 * through the runtime and says a failure in the status line.
 */
export function useOwnEdits(runtime: UiRuntime, store: UiStore, activeKey: string | undefined, caps: Capabilities | undefined, notify: (text: string) => void): OwnEdits {
  const canEdit = caps?.editOwn === true && !caps.readOnly;
  const editLast = useCallback(() => {
    if (!activeKey) return undefined;
    const m = ownMessage(store.getState(), activeKey);
    return 'error' in m ? undefined : { id: m.id, text: m.text };
  }, [store, activeKey]);
  const onEdit = useCallback((id: string, text: string) => {
    if (!activeKey) return;
    const was = store.getState().rooms[activeKey]?.messages.find((m) => m.id === id)?.text;
    if (was === text) return;
    runtime.editMessage(activeKey, id, text).catch((e: unknown) => notify(`edit failed: ${e instanceof Error ? e.message : String(e)}`));
  }, [runtime, store, activeKey, notify]);
  return { editLast: canEdit ? editLast : undefined, onEdit };
}
