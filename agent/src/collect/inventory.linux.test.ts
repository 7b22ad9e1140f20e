import { describe, it, expect } from 'vitest';
import type { Package } from '@patchfleet/shared/protocol';
import { Errors, PfError } from '@patchfleet/shared/errors';
import { listPackageSources } from './inventory.linux';

const pkg = (name: string, manager: 'dpkg' | 'rpm'): Package => ({ name, version: '1', sourceName: name, sourceVersion: '1', arch: 'amd64', manager });
const failing = () => Promise.reject(new PfError(Errors.COLLECT_FAILED, 'rpm -qa exited with 1'));

describe('listPackageSources', () => {
  it('joins the lists of every manager that has packages', async () => {
    const r = await listPackageSources(
      [{ manager: 'dpkg', list: async () => [pkg('a', 'dpkg')] }, { manager: 'rpm', list: async () => [pkg('b', 'rpm')] }],
      () => undefined,
    );
    expect(r).toEqual({ managers: ['dpkg', 'rpm'], packages: [pkg('a', 'dpkg'), pkg('b', 'rpm')] });
  });

  it('leaves out a secondary manager that fails (with a warning) or lists nothing', async () => {
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    expect(await listPackageSources([{ manager: 'dpkg', list: async () => [pkg('a', 'dpkg')] }, { manager: 'rpm', list: failing }], warn))
      .toEqual({ managers: ['dpkg'], packages: [pkg('a', 'dpkg')] });
    expect(warnings).toEqual(['rpm packages not listed']);
    expect(await listPackageSources([{ manager: 'dpkg', list: async () => [pkg('a', 'dpkg')] }, { manager: 'rpm', list: async () => [] }], warn))
      .toEqual({ managers: ['dpkg'], packages: [pkg('a', 'dpkg')] });
  });

  it('fails when the primary manager fails, or a secondary fails with an unexpected error', async () => {
    await expect(listPackageSources([{ manager: 'rpm', list: failing }], () => undefined)).rejects.toThrow('rpm -qa exited with 1');
    await expect(listPackageSources(
      [{ manager: 'dpkg', list: async () => [pkg('a', 'dpkg')] }, { manager: 'rpm', list: () => Promise.reject(new TypeError('bug')) }],
      () => undefined,
    )).rejects.toThrow('bug');
  });
});
