const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const DURATION = /^(\d{1,9})(s|m|h|d)?$/;

/**
 * Parses the durations the configuration accepts: a bare number of seconds (`900`) or a number
 * with one unit (`90s`, `15m`, `12h`, `7d`). Returns milliseconds, or null when the text is not one.
 */
export function parseDuration(text: string): number | null {
  const match = DURATION.exec(text.trim());
  if (!match) return null;
  const amount = Number(match[1]);
  return amount * UNIT_MS[match[2] ?? 's'];
}

/** A duration: a number of seconds (`900`), or the environment's forms `'900'`, `'90s'`, `'15m'`, `'12h'`, `'7d'`. */
export type Duration = number | `${number}` | `${number}${'s' | 'm' | 'h' | 'd'}`;

/** A Duration (or anything claiming to be one) in milliseconds; null when it is not one. */
export function durationMs(value: unknown): number | null {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 && value <= 999_999_999 ? value * 1_000 : null;
  }
  return typeof value === 'string' ? parseDuration(value) : null;
}

/** Formats milliseconds back into the shortest exact unit, for messages and docs. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return ms % 1_000 === 0 ? `${ms / 1_000}s` : `${ms}ms`;
}
