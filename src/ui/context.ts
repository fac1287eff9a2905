import { createContext, useContext } from 'react';
import type { Theme } from './theme.js';
import type { UiOptions, UiRuntime, UiStore } from './types.js';

/** What every component can reach: the runtime, its store, the options and the theme. */
export interface UiContextValue {
  runtime: UiRuntime;
  store: UiStore;
  options: UiOptions;
  theme: Theme;
  /** Clears the terminal and draws the whole frame again (Ctrl-L); absent where there is no terminal to clear. */
  redraw?: () => void;
}

/** The React context carrying {@link UiContextValue}; `useUi()` reads it (throws outside a provider). */
export const UiContext = createContext<UiContextValue | null>(null);

/** The UI context; throws when a component is rendered outside `<UiContext>` (a programming error). */
export function useUi(): UiContextValue {
  const v = useContext(UiContext);
  if (!v) throw new Error('chat-tui UI component rendered without UiContext');
  return v;
}
