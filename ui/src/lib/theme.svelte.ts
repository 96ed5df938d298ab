// Dark (wall screens, less glare) or light (laptops), remembered in localStorage.
export type Theme = 'dark' | 'light';

const STORAGE_KEY = 'fenduo.theme';

function initialTheme(): Theme {
  try {
    const stored = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (stored === 'dark' || stored === 'light') return stored;
  } catch {
    // Storage unavailable: use the default.
  }
  return 'dark';
}

class ThemeState {
  current = $state<Theme>(initialTheme());

  set(theme: Theme) {
    this.current = theme;
    try {
      localStorage.setItem(STORAGE_KEY, theme);
    } catch {
      // Not remembered; nothing else to do.
    }
    document.documentElement.dataset.theme = theme;
  }

  toggle() {
    this.set(this.current === 'dark' ? 'light' : 'dark');
  }
}

export const theme = new ThemeState();
