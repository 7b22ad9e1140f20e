import { describe, expect, it } from 'vitest';
import { ManualClock } from '@patchfleet/shared';
import { sampleCommand as command } from '../../commands/sample-command.test-support';
import { linuxExecutors, rebootCommand } from './command-executors';

describe('Linux command executors', () => {
  it('builds shutdown -r with whole minutes (at least one) and a one-line printable reason', () => {
    expect(rebootCommand(0, 'patched')).toEqual({ file: 'shutdown', args: ['-r', '+1', 'patched'] });
    expect(rebootCommand(61, 'a\nb\u0007c')).toEqual({ file: 'shutdown', args: ['-r', '+2', 'a b c'] });
  });

  it('refuses to reboot unless the agent was started with --allow-reboot, running nothing', async () => {
    const ex = linuxExecutors({ timeoutMs: 1000, lockTimeoutSec: 1, allowReboot: false, clock: new ManualClock(0) });
    const out = await ex.reboot(command('reboot', { reason: 'r', delaySec: 60 }));
    expect(out.ok).toBe(false);
    expect(out.error?.code).toBe('PF_ERR_REBOOT_DISABLED');
  });

  it('answers a Windows KB with PF_ERR_COMMAND_UNSUPPORTED instead of running apt', async () => {
    const ex = linuxExecutors({ timeoutMs: 1000, lockTimeoutSec: 1, allowReboot: false, clock: new ManualClock(0) });
    expect((await ex.install(command('install', { kb: 'KB5072033' }))).error?.code).toBe('PF_ERR_COMMAND_UNSUPPORTED');
    expect((await ex.rollback(command('rollback', { kb: 'KB5072033' }))).error?.code).toBe('PF_ERR_COMMAND_UNSUPPORTED');
  });
});
