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

describe('isolated dpkg root and apt config file', () => {
  const rootOptions = [
    '-o', 'Dir::State::status=/srv/roots/a/var/lib/dpkg/status',
    '-o', 'Dir::State::extended_states=/srv/roots/a/var/lib/apt/extended_states',
    '-o', 'Dir::State::Lists=/srv/roots/a/var/lib/apt/lists',
    '-o', 'Dir::Cache=/srv/roots/a/var/cache/apt',
    '-o', 'Dir::Log=/srv/roots/a/var/log/apt',
    '-o', 'DPkg::Options::=--root=/srv/roots/a',
    '-o', 'DPkg::Options::=--log=/srv/roots/a/var/log/dpkg.log',
  ];
  const target = { aptConfigFile: '/tmp/r/apt.conf', dpkgRoot: '/srv/roots/a' };
  const rootEnv = { DEBIAN_FRONTEND: 'noninteractive', NEEDRESTART_MODE: 'a', LC_ALL: 'C', DPKG_ROOT: '/srv/roots/a' };

  it('install: -c first, then the root, then caller options, lock and dpkg options', () => {
    const cmd = aptInstallCommand([{ name: 'pf-test-iso', version: '2.0' }], { ...target, aptOptions: ['-o', 'Debug::NoLocking=0'], lockTimeoutSec: 30 });
    expect(cmd).toEqual({
      file: 'apt-get',
      args: [
        '-c', '/tmp/r/apt.conf',
        ...rootOptions,
        '-o', 'Debug::NoLocking=0',
        '-o', 'DPkg::Lock::Timeout=30',
        '-o', 'Dpkg::Options::=--force-confdef',
        '-o', 'Dpkg::Options::=--force-confold',
        'install', '-y', '-q', '--no-install-recommends',
        '--', 'pf-test-iso=2.0',
      ],
      env: rootEnv,
    });
  });

  it('remove, update, madison and dpkg-query under a root (a trailing slash is normalised away)', () => {
    const slashed = { ...target, dpkgRoot: '/srv/roots/a/' };
    expect(aptRemoveCommand(['pf-test-iso'], { ...slashed, lockTimeoutSec: 5 })).toEqual({
      file: 'apt-get',
      args: [
        '-c', '/tmp/r/apt.conf', ...rootOptions,
        '-o', 'DPkg::Lock::Timeout=5',
        '-o', 'Dpkg::Options::=--force-confdef',
        '-o', 'Dpkg::Options::=--force-confold',
        'remove', '-y', '-q', '--', 'pf-test-iso',
      ],
      env: rootEnv,
    });
    expect(aptUpdateCommand({ ...slashed, lockTimeoutSec: 5 })).toEqual({
      file: 'apt-get', args: ['-c', '/tmp/r/apt.conf', ...rootOptions, '-o', 'DPkg::Lock::Timeout=5', 'update', '-q'], env: rootEnv,
    });
    expect(aptMadisonCommand(['pf-test-iso'], slashed)).toEqual({
      file: 'apt-cache', args: ['-c', '/tmp/r/apt.conf', ...rootOptions, 'madison', '--', 'pf-test-iso'], env: rootEnv,
    });
    expect(dpkgQueryCommand(['pf-test-iso'], { dpkgRoot: '/srv/roots/a/' })).toEqual({
      file: 'dpkg-query',
      args: ['--admindir=/srv/roots/a/var/lib/dpkg', '-W', '-f=${Package}\\t${db:Status-Abbrev}\\t${Version}\\n', '--', 'pf-test-iso'],
      env: { DEBIAN_FRONTEND: 'noninteractive', NEEDRESTART_MODE: 'a', LC_ALL: 'C' },
    });
  });

  it('a config file alone adds only -c', () => {
    expect(aptUpdateCommand({ aptConfigFile: '/tmp/r/apt.conf', lockTimeoutSec: 0 }).args).toEqual(['-c', '/tmp/r/apt.conf', '-o', 'DPkg::Lock::Timeout=0', 'update', '-q']);
    expect(aptMadisonCommand(['a1'], { aptConfigFile: '/tmp/r/apt.conf' })).toMatchObject({ args: ['-c', '/tmp/r/apt.conf', 'madison', '--', 'a1'], env: { LC_ALL: 'C' } });
    expect(aptMadisonCommand(['a1'], { aptConfigFile: '/tmp/r/apt.conf' }).env).not.toHaveProperty('DPKG_ROOT');
  });

  it('refuses relative paths and paths with a newline', () => {
    const pkg = [{ name: 'pf-test-iso', version: '1.0' }];
    expect(() => aptInstallCommand(pkg, { lockTimeoutSec: 1, dpkgRoot: 'roots/a' })).toThrow(/dpkg root must be an absolute path/);
    expect(() => aptInstallCommand(pkg, { lockTimeoutSec: 1, dpkgRoot: '/srv/a\n-o x=1' })).toThrow(/dpkg root must be an absolute path/);
    expect(() => aptUpdateCommand({ lockTimeoutSec: 1, aptConfigFile: 'apt.conf' })).toThrow(/apt config file must be an absolute path/);
    expect(() => aptMadisonCommand(['a1'], { aptConfigFile: '/tmp/a\nb' })).toThrow(/PF_ERR_BAD_INPUT|apt config file/);
    expect(() => dpkgQueryCommand(['a1'], { dpkgRoot: '' })).toThrow(/dpkg root/);
  });
});
