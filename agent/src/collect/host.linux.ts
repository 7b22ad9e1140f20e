import { hostname, machine, release, totalmem } from 'node:os';
import type { HostFacts, Package } from '@patchfleet/shared/protocol';
import { collectBoot } from './boot.linux';
import { clip } from './clip';
import { collectCpu } from './cpu.linux';
import { collectDisks } from './disks.linux';
import { collectHardware } from './hardware.linux';
import { collectNetwork } from './network.linux';
import { readOsRelease } from './os-release';
import { collectPendingReboot } from './pending-reboot.linux';
import { collectUsers } from './users.linux';
import type { WarnFn } from './with-timeout';

export interface LinuxHostOptions {
  now: () => number;
  /** Limit for each slow probe (systeminformation, needs-restarting); it then reports an empty value. */
  timeoutMs: number;
  warn: WarnFn;
  /** Package managers whose packages this report lists. */
  packageManagers: Package['manager'][];
}

/**
 * Facts about this Linux host. Probes run in parallel; each one that fails or
 * exceeds `timeoutMs` gives an empty value (and a warning) instead of failing
 * the report. Reads local state only: no DNS (so no `fqdn`: resolving it can
 * block on the network) and no network filesystems.
 */
export async function collectLinuxHostFacts(opts: LinuxHostOptions): Promise<HostFacts> {
  const { timeoutMs, warn } = opts;
  const [osRelease, hardware, cpu, disks, network, boot, users, pendingReboot] = await Promise.all([
    readOsRelease(),
    collectHardware(timeoutMs, warn),
    collectCpu(timeoutMs, warn),
    collectDisks(timeoutMs, warn),
    collectNetwork(warn),
    collectBoot(opts.now, warn),
    collectUsers(timeoutMs, warn),
    // dnf starts slowly (seconds) even when healthy.
    collectPendingReboot({ rpm: opts.packageManagers.includes('rpm'), timeoutMs: Math.max(timeoutMs, 15_000), warn }),
  ]);
  return {
    hostname: clip(hostname(), 255),
    os: {
      platform: 'linux',
      id: clip(osRelease.id, 64),
      name: clip(osRelease.name, 255),
      version: clip(osRelease.version, 64),
      ...(osRelease.codename ? { codename: clip(osRelease.codename, 64) } : {}),
      kernel: clip(release(), 255),
      // uname -m ("x86_64", "aarch64"): the kernel's name for the machine.
      arch: clip(machine(), 32),
    },
    hardware,
    cpu,
    memory: { totalBytes: totalmem() },
    disks,
    network,
    bootId: boot.bootId,
    bootTime: boot.bootTime,
    uptimeSec: boot.uptimeSec,
    users,
    pendingReboot,
    packageManagers: opts.packageManagers,
  };
}
