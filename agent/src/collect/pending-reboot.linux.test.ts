import { describe, it, expect } from 'vitest';
import { mergePendingReboot, rebootFromDebianFiles, rebootFromNeedsRestarting } from './pending-reboot.linux';

describe('rebootFromDebianFiles', () => {
  it('is not required without the flag file, even with a stale .pkgs', () => {
    expect(rebootFromDebianFiles(undefined, 'linux-image-6.8.0-45-generic\n')).toEqual({ required: false, reasons: [] });
  });

  it('names each package once', () => {
    expect(rebootFromDebianFiles('*** System restart required ***\n', 'linux-image-6.8.0-45-generic\nlibc6\n\nlibc6\n')).toEqual({
      required: true,
      reasons: ['package linux-image-6.8.0-45-generic', 'package libc6'],
    });
  });

  it('gives a reason even without a .pkgs file', () => {
    expect(rebootFromDebianFiles('', undefined)).toEqual({ required: true, reasons: ['/var/run/reboot-required is present'] });
  });
});

describe('rebootFromNeedsRestarting', () => {
  const needed = [
    'Core libraries or services have been updated since boot-up:',
    '  * kernel',
    '  * systemd',
    '',
    'Reboot is required to fully utilize these updates.',
    'More information: https://access.redhat.com/solutions/27943',
  ].join('\n');

  it('reads exit 1 with the reboot message, listing the packages', () => {
    expect(rebootFromNeedsRestarting(1, needed)).toEqual({ required: true, reasons: ['package kernel', 'package systemd'] });
  });

  it('reads exit 0 as not required', () => {
    expect(rebootFromNeedsRestarting(0, 'No core libraries or services have been updated since boot-up.\nReboot should not be necessary.\n'))
      .toEqual({ required: false, reasons: [] });
  });

  it('does not take a dnf error (also exit 1) or a signal for a reboot', () => {
    expect(rebootFromNeedsRestarting(1, '')).toBeUndefined();
    expect(rebootFromNeedsRestarting(null, needed)).toBeUndefined();
    expect(rebootFromNeedsRestarting(2, 'usage: ...')).toBeUndefined();
  });
});

describe('mergePendingReboot', () => {
  it('is required when any source says so and joins the reasons without repeats', () => {
    expect(mergePendingReboot([
      { required: false, reasons: [] },
      { required: true, reasons: ['package kernel', 'package glibc'] },
      { required: true, reasons: ['package kernel'] },
    ])).toEqual({ required: true, reasons: ['package kernel', 'package glibc'] });
    expect(mergePendingReboot([{ required: false, reasons: [] }])).toEqual({ required: false, reasons: [] });
  });
});
