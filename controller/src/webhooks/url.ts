/** What a webhook URL may be: absolute http(s), no user:password, bounded length. */
import { PfError, Errors } from '@patchfleet/shared/errors';

export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** Returns the URL normalised (WHATWG parsing); throws PF_ERR_WEBHOOK_URL with the reason otherwise. */
export function checkWebhookUrl(input: string): string {
  if (input.length > MAX_WEBHOOK_URL_LENGTH) throw new PfError(Errors.WEBHOOK_URL, `webhook URL is longer than ${MAX_WEBHOOK_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    // The parser's own message adds nothing to this one.
    throw new PfError(Errors.WEBHOOK_URL, `webhook URL ${JSON.stringify(input.slice(0, 100))} is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new PfError(Errors.WEBHOOK_URL, `webhook URL scheme ${url.protocol.replace(/:$/, '')} is not allowed: http or https only`);
  if (url.username !== '' || url.password !== '') throw new PfError(Errors.WEBHOOK_URL, 'webhook URL must not carry user:password; receivers verify the signature instead');
  if (url.hostname === '') throw new PfError(Errors.WEBHOOK_URL, 'webhook URL has no host');
  return url.toString();
}
