import { ConfigError } from './config-error';

/** Where security events are delivered, and the Standard Webhooks secret they are signed with. */
export interface WebhookSettings {
  url: string;
  /** `whsec_` and base64, as the Standard Webhooks specification writes it. */
  secret: string;
}

const SECRET_FORMAT = /^whsec_([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** The key lengths the Standard Webhooks specification recommends. */
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;

/**
 * WEBHOOK_URL and WEBHOOK_SECRET: both or neither (webhooks off). Neither value is ever echoed in
 * an error: the secret signs the events, and a URL may carry a token of the receiver's.
 */
export function parseWebhookSettings(
  url: string | undefined,
  secret: string | undefined,
): WebhookSettings | null {
  if (url === undefined && secret === undefined) return null;
  if (url === undefined) {
    throw new ConfigError('WEBHOOK_URL', 'an http:// or https:// URL, set with WEBHOOK_SECRET');
  }
  if (!isHttpUrl(url)) {
    throw new ConfigError('WEBHOOK_URL', 'an http:// or https:// URL', '(hidden)');
  }
  const accepts = `whsec_ followed by the base64 of ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} random bytes`;
  if (secret === undefined)
    throw new ConfigError('WEBHOOK_SECRET', `${accepts}, set with WEBHOOK_URL`);
  const bytes = SECRET_FORMAT.test(secret)
    ? Buffer.from(secret.slice('whsec_'.length), 'base64').length
    : 0;
  if (bytes < MIN_SECRET_BYTES || bytes > MAX_SECRET_BYTES) {
    throw new ConfigError('WEBHOOK_SECRET', accepts, '(hidden)');
  }
  return { url, secret };
}

function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}
