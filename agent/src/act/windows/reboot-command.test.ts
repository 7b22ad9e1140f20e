import { describe, expect, it } from 'vitest';
import { MAX_SHUTDOWN_DELAY_SEC, shutdownCommand } from './reboot-command';

const opts = { env: { SystemRoot: 'C:\\Windows' }, processArch: 'x64' };

describe('shutdownCommand', () => {
  it('restarts after the delay as a planned hot-fix restart, the reason as one argument', () => {
    expect(shutdownCommand(300, 'Patchfleet: KB5072033 installed, restart required', opts)).toEqual({
      file: 'C:\\Windows\\System32\\shutdown.exe',
      args: ['/r', '/t', '300', '/c', 'Patchfleet: KB5072033 installed, restart required', '/d', 'p:2:17'],
    });
  });

  it('trims the reason and keeps non-ASCII text', () => {
    expect(shutdownCommand(0, '  Neustart nach Update für KB5072033  ', opts).args[4]).toBe('Neustart nach Update für KB5072033');
  });

  it.each([
    ['negative delay', -1, 'x'],
    ['fractional delay', 1.5, 'x'],
    ['delay over ten years', MAX_SHUTDOWN_DELAY_SEC + 1, 'x'],
    ['empty reason', 60, '   '],
    ['double quote', 60, 'say "hi"'],
    ['newline', 60, 'line1\nline2'],
    ['tab', 60, 'a\tb'],
    ['reason over 512 characters', 60, 'x'.repeat(513)],
  ])('refuses a %s', (_why, delay, reason) => {
    expect(() => shutdownCommand(delay, reason, opts)).toThrow(expect.objectContaining({ code: 'PF_ERR_BAD_INPUT' }));
  });

  it('accepts the limits', () => {
    expect(shutdownCommand(MAX_SHUTDOWN_DELAY_SEC, 'x'.repeat(512), opts).args[2]).toBe(String(MAX_SHUTDOWN_DELAY_SEC));
  });
});
