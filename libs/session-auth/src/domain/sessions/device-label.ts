import Bowser from 'bowser';

/**
 * A short label a person recognises for the device behind a user agent: "Chrome on macOS",
 * "Safari on iOS"; the browser or the system alone when only one is known; null when neither is.
 */
export function deviceLabel(userAgent: string | null): string | null {
  if (!userAgent) return null;
  const { browser, os } = Bowser.parse(userAgent);
  const parts = [browser.name, os.name].filter(Boolean);
  return parts.length > 0 ? parts.join(' on ') : null;
}
