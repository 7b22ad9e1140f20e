import { statfs } from 'node:fs/promises';
import * as si from './systeminformation';
import type { HostFacts } from '@patchfleet/shared/protocol';
import { clip } from './clip';
import { readOptionalText } from './optional-file';
import { withTimeout, type WarnFn } from './with-timeout';

export type Disk = HostFacts['disks'][number];

// Block devices that are not storage a person would call a disk.
const NOT_A_DISK = /^(loop|ram|zram|fd|sr|nbd|md\d+p)/;
// Device-backed filesystem types that still are not user data (read-only images).
const NOT_A_FILESYSTEM = new Set(['squashfs', 'iso9660', 'udf', 'erofs', 'swap']);

const MAX_DISKS = 64;
const MAX_FILESYSTEMS = 128;

/** A mounted filesystem from /proc/mounts. */
export interface MountEntry {
  device: string;
  mount: string;
  type: string;
}

/**
 * The real, local filesystems in /proc/mounts text: backed by a /dev block
 * device (so never NFS/CIFS, tmpfs, overlay or cgroup), not a loop device or
 * a read-only image. A device mounted at several places (bind mounts, btrfs
 * subvolumes) is listed once, at its shortest mount path.
 */
export function parseProcMounts(text: string): MountEntry[] {
  const byDevice = new Map<string, MountEntry>();
  for (const line of text.split('\n')) {
    const [device, mount, type] = line.split(' ').map(unescapeMountField);
    if (!device || !mount || !type) continue;
    if (!device.startsWith('/dev/') || device.startsWith('/dev/loop')) continue;
    if (NOT_A_FILESYSTEM.has(type)) continue;
    const seen = byDevice.get(device);
    if (!seen || mount.length < seen.mount.length) byDevice.set(device, { device, mount, type });
  }
  return [...byDevice.values()];
}

// /proc/mounts writes space, tab, newline and backslash as 3-digit octal escapes.
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * Whole disks (from systeminformation's lsblk view: `type` is the medium,
 * "SSD"/"HDD", or "disk" when unknown; no mount) followed by mounted local
 * filesystems (`type` is the filesystem type, with mount point and usage).
 *
 * Filesystem usage comes from statfs on local block-device mounts only, not
 * from `df`: df visits network mounts, which can hang and reach the network.
 */
export async function collectDisks(timeoutMs: number, warn: WarnFn): Promise<Disk[]> {
  const [blocks, filesystems] = await Promise.all([
    withTimeout('systeminformation.blockDevices', si.blockDevices(), timeoutMs, [], warn),
    withTimeout('filesystems', collectFilesystems(warn), timeoutMs, [], warn),
  ]);
  const disks: Disk[] = blocks
    .filter((b) => b.type === 'disk' && b.size > 0 && !NOT_A_DISK.test(b.name))
    .slice(0, MAX_DISKS)
    .map((b) => ({ name: clip(`/dev/${b.name}`, 255), type: clip(b.physical || 'disk', 64), sizeBytes: Math.max(0, Math.floor(b.size)) }));
  return [...disks, ...filesystems];
}

async function collectFilesystems(warn: WarnFn): Promise<Disk[]> {
  const text = await readOptionalText('/proc/mounts');
  if (text === undefined) {
    warn('/proc/mounts is not readable: no filesystems listed');
    return [];
  }
  const mounts = parseProcMounts(text).slice(0, MAX_FILESYSTEMS);
  const sized = await Promise.all(
    mounts.map(async (m): Promise<Disk | undefined> => {
      try {
        const s = await statfs(m.mount);
        const size = s.bsize * s.blocks;
        return { name: clip(m.device, 255), type: clip(m.type, 64), sizeBytes: size, mount: clip(m.mount, 1024), usedBytes: Math.max(0, size - s.bsize * s.bfree) };
      } catch (err) {
        // A mount can vanish or be hidden from us (another mount namespace) between reading the list and statfs.
        warn(`statfs ${m.mount} failed; filesystem left out`, err);
        return undefined;
      }
    }),
  );
  return sized.filter((d): d is Disk => d !== undefined);
}
