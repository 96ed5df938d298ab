// Errors crossing IPC are `ApiError {code, message, field?}`; anything else (a string from a
// panic, a JS exception) is folded into that shape so the screens handle one kind of error.
import type { ApiError } from '../bindings/ApiError';
import type { Message } from '../i18n/translate';
import type { MessageKey } from '../i18n/zh';

export const KNOWN_CODES = [
  'unauthorized',
  'bad_credentials',
  'hub_unreachable',
  'invalid_hub_url',
  'not_logged_in',
  'internal',
] as const;

export type KnownCode = (typeof KNOWN_CODES)[number];

export function toApiError(e: unknown): ApiError {
  if (typeof e === 'object' && e !== null && typeof (e as ApiError).code === 'string') {
    const err = e as ApiError;
    return { code: err.code, message: String(err.message ?? ''), field: err.field ?? null };
  }
  if (typeof e === 'string') return { code: 'internal', message: e };
  if (e instanceof Error) return { code: 'internal', message: e.message };
  return { code: 'internal', message: String(e) };
}

function isKnown(code: string): code is KnownCode {
  return (KNOWN_CODES as readonly string[]).includes(code);
}

/** What to tell the user: the catalogue's words for known codes, the hub's message otherwise. */
export function errorMessage(err: ApiError): Message {
  if (isKnown(err.code)) return { key: `error.${err.code}` as MessageKey };
  return { key: 'error.unknown', params: { message: err.message || err.code } };
}

/** The login screen is the way out of these. */
export function needsLogin(err: ApiError): boolean {
  return err.code === 'unauthorized' || err.code === 'not_logged_in';
}
