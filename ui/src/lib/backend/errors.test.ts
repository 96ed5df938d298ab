import { describe, expect, test } from 'vitest';
import { errorMessage, needsLogin, toApiError } from './errors';

describe('toApiError', () => {
  test('keeps an ApiError as it is', () => {
    expect(toApiError({ code: 'bad_credentials', message: 'wrong password', field: 'password' })).toEqual({
      code: 'bad_credentials',
      message: 'wrong password',
      field: 'password',
    });
  });

  test('folds strings and exceptions into internal errors', () => {
    expect(toApiError('panic in command')).toEqual({ code: 'internal', message: 'panic in command' });
    expect(toApiError(new Error('boom'))).toEqual({ code: 'internal', message: 'boom' });
    expect(toApiError(undefined).code).toBe('internal');
  });
});

describe('errorMessage', () => {
  test('translates known codes through the catalogue', () => {
    expect(errorMessage({ code: 'hub_unreachable', message: 'connect refused' })).toEqual({
      key: 'error.hub_unreachable',
    });
  });

  test('shows the message of unknown codes', () => {
    expect(errorMessage({ code: 'rate_limited', message: 'Too many attempts, wait a minute' })).toEqual({
      key: 'error.unknown',
      params: { message: 'Too many attempts, wait a minute' },
    });
    expect(errorMessage({ code: 'weird', message: '' }).params).toEqual({ message: 'weird' });
  });

  test('unauthorized and not_logged_in lead back to the login screen', () => {
    expect(needsLogin({ code: 'unauthorized', message: '' })).toBe(true);
    expect(needsLogin({ code: 'not_logged_in', message: '' })).toBe(true);
    expect(needsLogin({ code: 'hub_unreachable', message: '' })).toBe(false);
  });
});
