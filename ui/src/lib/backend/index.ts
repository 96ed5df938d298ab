// Picks the backend once: Tauri inside the desktop shell, the mock in a plain browser.
import type { Backend } from './backend';

export type { Backend, Unsubscribe } from './backend';
export { errorMessage, needsLogin, toApiError } from './errors';

export function inTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}

export async function createBackend(): Promise<Backend> {
  if (inTauri()) {
    const { TauriBackend } = await import('./tauri');
    return new TauriBackend();
  }
  const { MockBackend, mockOptionsFromUrl } = await import('./mock/mock');
  return new MockBackend(mockOptionsFromUrl(window.location.search));
}
