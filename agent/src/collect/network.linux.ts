import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { readdir } from 'node:fs/promises';
import type { HostFacts } from '@patchfleet/shared/protocol';
import { clip } from './clip';
import { readOptionalText } from './optional-file';
import type { WarnFn } from './with-timeout';

export type NetworkInterface = HostFacts['network'][number];

const SYS_NET = '/sys/class/net';
const MAX_INTERFACES = 256;
const MAX_ADDRESSES = 64;
// ARPHRD_LOOPBACK in /sys/class/net/<iface>/type.
const LOOPBACK_TYPE = '772';

/** What sysfs says about one interface. */
export interface SysfsInterface {
  iface: string;
  mac: string;
  /** No backing device: bridges, veth, tun, docker0, ... */
  virtual: boolean;
  loopback: boolean;
}

/**
 * Merges the interface list from sysfs (which includes interfaces without an
 * address) with the addresses from node:os (every address, where
 * systeminformation keeps only one per family). Virtual interfaces without
 * any address are left out: a container host has hundreds of veth pairs
 * that tell the help desk nothing. Sorted by name so that reports are stable.
 */
export function buildNetwork(sysfs: readonly SysfsInterface[], addrs: NodeJS.Dict<NetworkInterfaceInfo[]>): NetworkInterface[] {
  const names = new Set([...sysfs.map((s) => s.iface), ...Object.keys(addrs)]);
  const out: NetworkInterface[] = [];
  for (const iface of [...names].sort()) {
    const sys = sysfs.find((s) => s.iface === iface);
    const list = addrs[iface] ?? [];
    const ipv4 = list.filter((a) => a.family === 'IPv4').map((a) => a.address);
    const ipv6 = list.filter((a) => a.family === 'IPv6').map((a) => a.address);
    // Not in sysfs: an address label such as "eth0:1", which is not a device of its own.
    const virtual = sys ? sys.virtual : true;
    if (virtual && ipv4.length === 0 && ipv6.length === 0) continue;
    const internal = sys?.loopback ?? list.some((a) => a.internal);
    out.push({
      iface: clip(iface, 255),
      mac: clip(sys?.mac || list[0]?.mac || '', 64),
      ipv4: ipv4.slice(0, MAX_ADDRESSES),
      ipv6: ipv6.slice(0, MAX_ADDRESSES),
      internal,
      virtual,
    });
  }
  return out.slice(0, MAX_INTERFACES);
}

/** Network interfaces with their MAC and IPv4/IPv6 addresses. Reads local state only. */
export async function collectNetwork(warn: WarnFn): Promise<NetworkInterface[]> {
  return buildNetwork(await readSysfsInterfaces(warn), networkInterfaces());
}

async function readSysfsInterfaces(warn: WarnFn): Promise<SysfsInterface[]> {
  let names: string[];
  try {
    names = await readdir(SYS_NET);
  } catch (err) {
    // Without sysfs (some sandboxes) the node:os view alone still gives every addressed interface.
    warn(`${SYS_NET} is not readable: interfaces without an address are not listed`, err);
    return [];
  }
  return Promise.all(
    names.map(async (iface) => {
      const [mac, type, uevent] = await Promise.all([
        readOptionalText(`${SYS_NET}/${iface}/address`),
        readOptionalText(`${SYS_NET}/${iface}/type`),
        // Present for interfaces with a backing device (PCI, USB, virtio, ...).
        readOptionalText(`${SYS_NET}/${iface}/device/uevent`),
      ]);
      return { iface, mac: (mac ?? '').trim(), virtual: uevent === undefined, loopback: (type ?? '').trim() === LOOPBACK_TYPE };
    }),
  );
}
