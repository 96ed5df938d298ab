import { describe, expect, test } from 'vitest';
import { KNOWN_CODES } from '../backend/errors';
import { en } from './en';
import { catalogues, translate } from './translate';
import { zh } from './zh';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('catalogues', () => {
  test('zh-CN and en have exactly the same keys', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(zh).sort());
  });

  test('every message is non-empty and uses the same parameters in both languages', () => {
    for (const key of Object.keys(zh) as (keyof typeof zh)[]) {
      expect(zh[key].trim(), key).not.toBe('');
      expect(en[key].trim(), key).not.toBe('');
      expect(placeholders(en[key]), key).toEqual(placeholders(zh[key]));
    }
  });

  test('every known error code has words in both languages', () => {
    for (const code of KNOWN_CODES) {
      for (const cat of Object.values(catalogues)) {
        expect(cat[`error.${code}` as keyof typeof zh], code).toBeTruthy();
      }
    }
  });
});

describe('translate', () => {
  test('substitutes parameters and leaves unknown ones visible', () => {
    expect(translate('zh-CN', 'stale.age', { age: '2 分钟' })).toBe('数据已 2 分钟未更新');
    expect(translate('en', 'stale.age', { age: '2 min' })).toBe('Data not updated for 2 min');
    expect(translate('en', 'stale.age')).toBe('Data not updated for {age}');
  });
});
