/**
 * Inventory fixtures for unit and integration tests: host facts that pass
 * the wire schema, and package lists of any size.
 */
import type { HostFacts, Inventory, Package } from '@patchfleet/shared';

export function sampleHost(overrides: Partial<HostFacts> = {}): HostFacts {
  return {
    hostname: 'web-01',
    fqdn: 'web-01.example.test',
    os: { platform: 'linux', id: 'ubuntu', name: 'Ubuntu 24.04.1 LTS', version: '24.04', codename: 'noble', kernel: '6.8.0-45-generic', arch: 'x64' },
    hardware: { vendor: 'QEMU', model: 'Standard PC (Q35 + ICH9, 2009)', serial: 'SN-0001', virtual: true },
    cpu: { brand: 'AMD EPYC 7763', cores: 2, physicalCores: 1, speedGHz: 2.45 },
    memory: { totalBytes: 4 * 2 ** 30 },
    disks: [{ name: '/dev/vda', type: 'HD', sizeBytes: 40 * 2 ** 30, mount: '/', usedBytes: 10 * 2 ** 30 }],
    network: [
      { iface: 'lo', mac: '00:00:00:00:00:00', ipv4: ['127.0.0.1'], ipv6: ['::1'], internal: true },
      { iface: 'eth0', mac: '52:54:00:12:34:56', ipv4: ['10.1.2.3'], ipv6: ['fe80::5054:ff:fe12:3456'], internal: false },
    ],
    bootId: '2f6c7b0e-5d0c-4f5e-9a53-6c1b1e2f3a4b',
    bootTime: 1_700_000_000_000,
    uptimeSec: 3600,
    users: [{ user: 'ops', tty: 'pts/0', host: '10.0.0.9', loginAt: '2026-11-23T10:00:00Z' }],
    pendingReboot: { required: false, reasons: [] },
    packageManagers: ['dpkg'],
    ...overrides,
  };
}

/** One dpkg package; `i` makes the name unique. */
export function samplePackage(i: number, overrides: Partial<Package> = {}): Package {
  const name = `pkg-${String(i).padStart(5, '0')}`;
  return { name, version: `1.${i}-1ubuntu1`, sourceName: `src-${name}`, sourceVersion: `1.${i}-1ubuntu1`, arch: 'amd64', manager: 'dpkg', ...overrides };
}

export function samplePackages(count: number, from = 0): Package[] {
  return Array.from({ length: count }, (_, k) => samplePackage(from + k));
}

export function sampleInventory(packageCount: number, host: Partial<HostFacts> = {}): Inventory {
  return { host: sampleHost(host), packages: samplePackages(packageCount) };
}
