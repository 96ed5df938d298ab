// Number, money, percent and time formatting for the wall. Pure functions of their inputs (the
// locale is a parameter), so they are unit-tested without a browser.
//
// Large numbers: zh-CN counts in 万 (10⁴) and 亿 (10⁸) — 43.2万, ¥4.86亿; English in k/M/B —
// 432k, ¥486M. Three significant digits at most (no false precision); below 10,000 the plain
// number with grouping. Money arrives in fen (1/100 yuan) and is shown in whole yuan.
import type { Locale, Message } from './i18n/translate';

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';
export const NO_VALUE = '—';

interface Unit {
  value: number;
  suffix: string;
}

const UNITS: Record<Locale, Unit[]> = {
  'zh-CN': [
    { value: 1e8, suffix: '亿' },
    { value: 1e4, suffix: '万' },
  ],
  en: [
    { value: 1e9, suffix: 'B' },
    { value: 1e6, suffix: 'M' },
    { value: 1e3, suffix: 'k' },
  ],
};

/** Below this, numbers are written out in full in both languages. */
const COMPACT_FROM = 1e4;

const plainFormats = new Map<Locale, Intl.NumberFormat>();
function plain(locale: Locale): Intl.NumberFormat {
  let f = plainFormats.get(locale);
  if (!f) {
    f = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    plainFormats.set(locale, f);
  }
  return f;
}

function decimalsFor(v: number): number {
  return v < 10 ? 2 : v < 100 ? 1 : 0;
}

/** 432100 → "43.2万" (zh-CN) / "432k" (en); 9876 → "9,876". */
export function formatCount(n: number, locale: Locale): string {
  if (!Number.isFinite(n)) return NO_VALUE;
  const abs = Math.abs(n);
  const sign = n < 0 ? '-' : '';
  if (abs < COMPACT_FROM) return plain(locale).format(n);
  const units = UNITS[locale];
  // The largest unit the number reaches; rounding may push it up to the next one (999,999 → 1M).
  let i = units.findIndex((u) => abs >= u.value);
  for (;;) {
    const unit = units[i];
    const v = abs / unit.value;
    const d = decimalsFor(v);
    const rounded = Number(v.toFixed(d));
    const bigger = units[i - 1];
    if (bigger && rounded * unit.value >= bigger.value) {
      i -= 1;
      continue;
    }
    return `${sign}${rounded}${unit.suffix}`;
  }
}

/** Money in fen → "¥4.86亿" / "¥486M"; "¥9,876" below ¥10,000 (whole yuan). */
export function formatMoneyFen(fen: number, locale: Locale): string {
  if (!Number.isFinite(fen)) return NO_VALUE;
  return `¥${formatCount(Math.round(fen / 100), locale)}`;
}

/** A ratio as a whole percentage: 0.873 → "87%"; 0.004 → "<1%"; null → "—". */
export function formatPercent(ratio: number | null | undefined): string {
  if (ratio == null || !Number.isFinite(ratio)) return NO_VALUE;
  const pct = Math.round(ratio * 100);
  if (pct === 0 && ratio > 0) return '<1%';
  return `${pct}%`;
}

const clockFormats = new Map<string, Intl.DateTimeFormat>();
function clockFormat(timeZone: string): Intl.DateTimeFormat {
  let f = clockFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    clockFormats.set(timeZone, f);
  }
  return f;
}

/** Wall-clock time, 24-hour: "19:42:10" in China Standard Time by default. */
export function formatClock(ms: number, timeZone = DEFAULT_TIME_ZONE): string {
  return clockFormat(timeZone).format(ms);
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();
function dateParts(ms: number, locale: Locale, timeZone: string): Record<string, string> {
  const id = `${locale}|${timeZone}`;
  let f = dateFormats.get(id);
  if (!f) {
    f = new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : 'zh-CN', {
      timeZone,
      month: locale === 'en' ? 'short' : 'numeric',
      day: 'numeric',
      weekday: 'short',
    });
    dateFormats.set(id, f);
  }
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(ms)) parts[p.type] = p.value;
  return parts;
}

/** "12月5日 周六" (zh-CN) / "Sat 5 Dec" (en). */
export function formatDate(ms: number, locale: Locale, timeZone = DEFAULT_TIME_ZONE): string {
  const p = dateParts(ms, locale, timeZone);
  return locale === 'en' ? `${p.weekday} ${p.day} ${p.month}` : `${p.month}月${p.day}日 ${p.weekday}`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** A duration as "00:42:10" (whole seconds, rounded down). */
export function formatHms(ms: number): string {
  const total = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  return `${pad2(h)}:${pad2(m)}:${pad2(total % 60)}`;
}

/** The stream clock: time since the effective start, "+00:42:10"; before the start "−00:12:30". */
export function formatStreamClock(elapsedMs: number): string {
  // Before the start, count whole seconds *up* to it so it reaches −00:00:01 then +00:00:00.
  if (elapsedMs < 0) return `−${formatHms(Math.ceil(-elapsedMs / 1000) * 1000)}`;
  return `+${formatHms(elapsedMs)}`;
}

/** Time left: "08:12", or "1:08:12" from an hour up. Rounded up so it shows 00:00 only at the end. */
export function formatCountdown(leftMs: number): string {
  const total = Math.max(0, Math.ceil(leftMs / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${pad2(m)}:${pad2(s)}` : `${pad2(m)}:${pad2(s)}`;
}

/** How old data is, in the largest sensible unit: 25 s, 2 min, 3 h (rounded down). */
export function ageMessage(ms: number): Message {
  const sec = Math.max(0, Math.floor(ms / 1000));
  if (sec < 60) return { key: 'age.sec', params: { n: sec } };
  if (sec < 3600) return { key: 'age.min', params: { n: Math.floor(sec / 60) } };
  return { key: 'age.hour', params: { n: Math.floor(sec / 3600) } };
}
