import { describe, expect, it } from 'vitest';
import { aptInstallCommand, aptMadisonCommand, aptRemoveCommand, aptUpdateCommand, dpkgQueryCommand } from './apt-commands';

const aptOptions = ['-o', 'Dir::Etc::sourcelist=/tmp/r/sources.list', '-o', 'Dir::Etc::sourceparts=-'];

describe('aptInstallCommand', () => {
  it('installs exact versions non-interactively, without recommends or downgrades', () => {
    const cmd = aptInstallCommand([{ name: 'openssl', version: '3.0.2-0ubuntu1.15' }, { name: 'libssl3', version: '1:3.0.2-0ubuntu1.15' }], { lockTimeoutSec: 120 });
    expect(cmd).toEqual({
      file: 'apt-get',
      args: [
        '-o', 'DPkg::Lock::Timeout=120',
        '-o', 'Dpkg::Options::=--force-confdef',
        '-o', 'Dpkg::Options::=--force-confold',
        'install', '-y', '-q', '--no-install-recommends',
        '--', 'openssl=3.0.2-0ubuntu1.15', 'libssl3=1:3.0.2-0ubuntu1.15',
      ],
      env: { DEBIAN_FRONTEND: 'noninteractive', NEEDRESTART_MODE: 'a', LC_ALL: 'C' },
    });
  });

  it('puts aptOptions first and allows downgrades only when asked (rollback)', () => {
    const cmd = aptInstallCommand([{ name: 'pf-test-hello', version: '1.0' }], { lockTimeoutSec: 0, aptOptions, allowDowngrades: true });
    expect(cmd.args.slice(0, 4)).toEqual(aptOptions);
    expect(cmd.args).toContain('--allow-downgrades');
    expect(cmd.args.at(-1)).toBe('pf-test-hello=1.0');
  });

  it('refuses names and versions that are not package specs', () => {
    expect(() => aptInstallCommand([{ name: '-oAPT::x=1', version: '1' }], { lockTimeoutSec: 1 })).toThrow(/PF_ERR_BAD_INPUT|invalid package name/);
    expect(() => aptInstallCommand([{ name: 'bash', version: '1 2' }], { lockTimeoutSec: 1 })).toThrow(/invalid package version/);
    expect(() => aptInstallCommand([{ name: 'bash', version: '5.2' }], { lockTimeoutSec: -1 })).toThrow(/invalid lock timeout/);
    expect(() => aptInstallCommand([], { lockTimeoutSec: 1 })).toThrow(/no packages/);
  });
});

describe('other commands', () => {
  it('remove, update, madison and dpkg-query argv', () => {
    expect(aptRemoveCommand(['pf-test-hello'], { lockTimeoutSec: 5 }).args).toEqual([
      '-o', 'DPkg::Lock::Timeout=5',
      '-o', 'Dpkg::Options::=--force-confdef',
      '-o', 'Dpkg::Options::=--force-confold',
      'remove', '-y', '-q', '--', 'pf-test-hello',
    ]);
    expect(aptUpdateCommand({ lockTimeoutSec: 5, aptOptions }).args).toEqual([...aptOptions, '-o', 'DPkg::Lock::Timeout=5', 'update', '-q']);
    expect(aptMadisonCommand(['a1', 'b2'], aptOptions)).toMatchObject({ file: 'apt-cache', args: [...aptOptions, 'madison', '--', 'a1', 'b2'] });
    expect(dpkgQueryCommand(['bash']).args).toEqual(['-W', '-f=${Package}\\t${db:Status-Abbrev}\\t${Version}\\n', '--', 'bash']);
  });
});
