import { describe, it, expect } from 'vitest';
import { controllerUrls } from './enroll';

describe('controllerUrls', () => {
  it('turns a wss:// server into the https base and the agent endpoint', () => {
    expect(controllerUrls('wss://controller.example.test:8443')).toEqual({
      https: 'https://controller.example.test:8443',
      wss: 'wss://controller.example.test:8443/api/v1/agent/ws',
    });
  });

  it('accepts https:// too and drops any path, query or credentials given', () => {
    expect(controllerUrls('https://user:pw@ctl.example.test:9443/some/path?x=1#frag')).toEqual({
      https: 'https://ctl.example.test:9443',
      wss: 'wss://ctl.example.test:9443/api/v1/agent/ws',
    });
  });

  it('keeps the default port implicit', () => {
    expect(controllerUrls('wss://ctl.example.test')).toEqual({ https: 'https://ctl.example.test', wss: 'wss://ctl.example.test/api/v1/agent/ws' });
    expect(controllerUrls('wss://ctl.example.test:443').https).toBe('https://ctl.example.test');
  });

  it('keeps an IPv4 address', () => {
    expect(controllerUrls('wss://10.0.0.5:8443').wss).toBe('wss://10.0.0.5:8443/api/v1/agent/ws');
  });

  it('brackets an IPv6 host exactly once', () => {
    expect(controllerUrls('wss://[::1]:8443')).toEqual({ https: 'https://[::1]:8443', wss: 'wss://[::1]:8443/api/v1/agent/ws' });
    expect(controllerUrls('https://[2001:db8::10]').https).toBe('https://[2001:db8::10]');
    // The result must itself parse back to the same host.
    expect(new URL(controllerUrls('wss://[fe80::1]:8443').https).hostname).toBe('[fe80::1]');
  });

  it('uses the ws path the controller returned', () => {
    expect(controllerUrls('wss://ctl:8443', '/custom/agent').wss).toBe('wss://ctl:8443/custom/agent');
  });

  it.each(['ws://ctl:8080', 'http://ctl:8080'])('refuses plain %s with PF_ERR_USAGE (the token would travel in clear)', (server) => {
    expect(() => controllerUrls(server)).toThrow(expect.objectContaining({ code: 'PF_ERR_USAGE', message: expect.stringMatching(/wss:\/\/ or https:\/\//) }));
  });

  it.each(['ftp://ctl', 'ctl:8443', 'not a url', ''])('refuses %j with PF_ERR_USAGE', (server) => {
    expect(() => controllerUrls(server)).toThrow(expect.objectContaining({ code: 'PF_ERR_USAGE' }));
  });
});
