// Pure lookup and parameter substitution, kept free of Svelte state so it is unit-tested directly.
import { en } from './en';
import { zh, type MessageKey } from './zh';

export type Locale = 'zh-CN' | 'en';
export type Params = Record<string, string | number>;

/** A translatable message: a catalogue key and its parameters (e.g. a tile's reason). */
export interface Message {
  key: MessageKey;
  params?: Params;
}

export const catalogues: Record<Locale, Record<MessageKey, string>> = { 'zh-CN': zh, en };

export function translate(locale: Locale, key: MessageKey, params?: Params): string {
  const text = catalogues[locale][key] ?? zh[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

export function isLocale(value: unknown): value is Locale {
  return value === 'zh-CN' || value === 'en';
}
