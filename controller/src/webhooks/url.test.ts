import { describe, expect, it } from 'vitest';
import { checkWebhookUrl } from './url';

describe('checkWebhookUrl', () => {
  it('takes absolute http and https URLs, normalised', () => {
    expect(checkWebhookUrl('https://Hooks.Example.com/a?b=1')).toBe('https://hooks.example.com/a?b=1');
    expect(checkWebhookUrl('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080/');
  });

  it('refuses other schemes, relative URLs, credentials and very long URLs with PF_ERR_WEBHOOK_URL and the reason', () => {
    const code = (url: string) => {
      try {
        checkWebhookUrl(url);
        return 'accepted';
      } catch (err) {
        return `${(err as { code: string }).code}: ${(err as Error).message}`;
      }
    };
    expect(code('ftp://example.com/')).toMatch(/^PF_ERR_WEBHOOK_URL: .*scheme ftp is not allowed/);
    expect(code('/relative')).toMatch(/^PF_ERR_WEBHOOK_URL: .*not an absolute URL/);
    expect(code('https://u:p@example.com/')).toMatch(/^PF_ERR_WEBHOOK_URL: .*user:password/);
    expect(code(`https://example.com/${'x'.repeat(2048)}`)).toMatch(/^PF_ERR_WEBHOOK_URL: .*longer than 2048/);
  });
});
