import { describe, expect, test } from 'vitest';
import {
  ageMessage,
  formatClock,
  formatCount,
  formatCountdown,
  formatDate,
  formatHms,
  formatMoneyFen,
  formatPercent,
  formatStreamClock,
} from './format';

describe('formatCount', () => {
  test('uses 万 and 亿 in Chinese with at most three significant digits', () => {
    expect(formatCount(432_100, 'zh-CN')).toBe('43.2万');
    expect(formatCount(12_000, 'zh-CN')).toBe('1.2万');
    expect(formatCount(12_345, 'zh-CN')).toBe('1.23万');
    expect(formatCount(1_234_567, 'zh-CN')).toBe('123万');
    expect(formatCount(12_345_678, 'zh-CN')).toBe('1235万');
    expect(formatCount(486_000_000, 'zh-CN')).toBe('4.86亿');
  });

  test('uses k, M and B in English', () => {
    expect(formatCount(432_100, 'en')).toBe('432k');
    expect(formatCount(12_000, 'en')).toBe('12k');
    expect(formatCount(12_345, 'en')).toBe('12.3k');
    expect(formatCount(486_000_000, 'en')).toBe('486M');
    expect(formatCount(4_860_000_000, 'en')).toBe('4.86B');
  });

  test('writes numbers under ten thousand in full', () => {
    expect(formatCount(0, 'zh-CN')).toBe('0');
    expect(formatCount(87, 'en')).toBe('87');
    expect(formatCount(9_999, 'zh-CN')).toBe('9,999');
    expect(formatCount(9_876, 'en')).toBe('9,876');
  });

  test('moves to the next unit when rounding reaches it', () => {
    expect(formatCount(999_999, 'en')).toBe('1M');
    expect(formatCount(99_999_999, 'zh-CN')).toBe('1亿');
    expect(formatCount(99_995, 'zh-CN')).toBe('10万');
  });

  test('keeps the sign and refuses non-numbers', () => {
    expect(formatCount(-12_000, 'zh-CN')).toBe('-1.2万');
    expect(formatCount(Number.NaN, 'en')).toBe('—');
  });
});

describe('formatMoneyFen', () => {
  test('converts fen to yuan', () => {
    expect(formatMoneyFen(48_600_000_000, 'zh-CN')).toBe('¥4.86亿');
    expect(formatMoneyFen(48_600_000_000, 'en')).toBe('¥486M');
    expect(formatMoneyFen(987_650, 'zh-CN')).toBe('¥9,877');
    expect(formatMoneyFen(0, 'en')).toBe('¥0');
  });
});

describe('formatPercent', () => {
  test('shows whole percentages without false precision', () => {
    expect(formatPercent(0.873)).toBe('87%');
    expect(formatPercent(1.2)).toBe('120%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(0.004)).toBe('<1%');
    expect(formatPercent(null)).toBe('—');
    expect(formatPercent(Number.POSITIVE_INFINITY)).toBe('—');
  });
});

describe('times in Asia/Shanghai', () => {
  // 2025-12-06 11:42:10 UTC is 19:42:10 on Saturday 6 December in China.
  const saturdayEvening = Date.parse('2025-12-06T11:42:10Z');

  test('clock is 24-hour China Standard Time', () => {
    expect(formatClock(saturdayEvening)).toBe('19:42:10');
    expect(formatClock(Date.parse('2025-12-06T16:05:00Z'))).toBe('00:05:00');
    expect(formatClock(saturdayEvening, 'UTC')).toBe('11:42:10');
  });

  test('date reads 12月6日 周六 / Sat 6 Dec', () => {
    expect(formatDate(saturdayEvening, 'zh-CN')).toBe('12月6日 周六');
    expect(formatDate(saturdayEvening, 'en')).toBe('Sat 6 Dec');
    // Late Saturday evening UTC is already Sunday in China.
    expect(formatDate(Date.parse('2025-12-06T16:30:00Z'), 'zh-CN')).toBe('12月7日 周日');
  });
});

describe('stream clock and countdown', () => {
  test('stream clock counts from the start', () => {
    expect(formatStreamClock((42 * 60 + 10) * 1000)).toBe('+00:42:10');
    expect(formatStreamClock(0)).toBe('+00:00:00');
    expect(formatStreamClock(2 * 3600_000 + 999)).toBe('+02:00:00');
    expect(formatStreamClock(-(12 * 60 + 30) * 1000)).toBe('−00:12:30');
    expect(formatStreamClock(-200)).toBe('−00:00:01');
  });

  test('countdown rounds up and shows hours only when needed', () => {
    expect(formatCountdown((8 * 60 + 12) * 1000)).toBe('08:12');
    expect(formatCountdown(8 * 60 * 1000 + 11_001)).toBe('08:12');
    expect(formatCountdown(3_600_000 + 8 * 60_000 + 12_000)).toBe('1:08:12');
    expect(formatCountdown(0)).toBe('00:00');
    expect(formatCountdown(-5000)).toBe('00:00');
  });

  test('formatHms pads every part', () => {
    expect(formatHms(3_723_000)).toBe('01:02:03');
  });
});

describe('ageMessage', () => {
  test('picks seconds, minutes or hours', () => {
    expect(ageMessage(25_400)).toEqual({ key: 'age.sec', params: { n: 25 } });
    expect(ageMessage(125_000)).toEqual({ key: 'age.min', params: { n: 2 } });
    expect(ageMessage(2 * 3600_000 + 5)).toEqual({ key: 'age.hour', params: { n: 2 } });
    expect(ageMessage(-10)).toEqual({ key: 'age.sec', params: { n: 0 } });
  });
});
