import { describe, expect, it } from 'vitest';
import { ManualClock } from '@patchfleet/shared';
import { sampleCommand as command } from '../../commands/sample-command.test-support';
import { buildOfKernel, windowsExecutors } from './command-executors';

describe('Windows command executors', () => {
  it('takes the servicing build from the kernel version the inventory reports', () => {
    expect(buildOfKernel('10.0.26100.4946')).toBe('26100.4946');
    expect(buildOfKernel('10.0.26100')).toBeUndefined();
    expect(buildOfKernel(undefined)).toBeUndefined();
  });

  it('refuses Debian packages and reboots it is not allowed to do, without running a tool', async () => {
    const ex = windowsExecutors({ timeoutMs: 1000, allowReboot: false, clock: new ManualClock(0), currentBuild: async () => undefined });
    expect((await ex.install(command('install', { packages: [{ name: 'sudo', version: '1' }] }))).error?.code).toBe('PF_ERR_COMMAND_UNSUPPORTED');
    expect((await ex.rollback(command('rollback', { replaced: [] }))).error?.code).toBe('PF_ERR_COMMAND_UNSUPPORTED');
    expect((await ex.reboot(command('reboot', { reason: 'r' }))).error?.code).toBe('PF_ERR_REBOOT_DISABLED');
  });
});
