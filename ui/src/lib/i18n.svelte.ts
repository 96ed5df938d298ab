// The UI's one entry to the string catalogue: a reactive locale (remembered in localStorage) and
// `t(key, params)`. Templates that call `t` re-render when the locale changes.
import { isLocale, translate, type Locale, type Message, type Params } from './i18n/translate';
import type { MessageKey } from './i18n/zh';

export type { Locale, Message, MessageKey, Params };

const STORAGE_KEY = 'fenduo.locale';

function initialLocale(): Locale {
  try {
    const stored = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (isLocale(stored)) return stored;
  } catch {
    // Storage can be unavailable (private mode); the default is fine.
  }
  return 'zh-CN';
}

class I18n {
  locale = $state<Locale>(initialLocale());

  set(locale: Locale) {
    this.locale = locale;
    try {
      localStorage.setItem(STORAGE_KEY, locale);
    } catch {
      // Not remembered across restarts; nothing else to do.
    }
    document.documentElement.lang = locale;
  }

  toggle() {
    this.set(this.locale === 'zh-CN' ? 'en' : 'zh-CN');
  }
}

export const i18n = new I18n();

export function t(key: MessageKey, params?: Params): string {
  return translate(i18n.locale, key, params);
}

export function tm(message: Message): string {
  return translate(i18n.locale, message.key, message.params);
}
