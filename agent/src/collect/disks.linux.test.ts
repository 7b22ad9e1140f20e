import { describe, it, expect } from 'vitest';
import { parseProcMounts } from './disks.linux';

const MOUNTS = [
  'proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0',
  'sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0',
  'tmpfs /run tmpfs rw,nosuid,nodev,size=1617188k,mode=755 0 0',
  '/dev/mapper/vg0-root / ext4 rw,relatime,errors=remount-ro 0 0',
  '/dev/nvme0n1p1 /boot/efi vfat rw,relatime,fmask=0077 0 0',
  '/dev/loop3 /snap/core22/1586 squashfs ro,nodev,relatime 0 0',
  '/dev/loop9 /mnt/image ext4 ro,relatime 0 0',
  '/dev/sr0 /media/cdrom iso9660 ro,relatime 0 0',
  'fileserver:/export /mnt/nfs nfs4 rw,relatime,vers=4.2 0 0',
  '//nas/share /mnt/smb cifs rw,relatime 0 0',
  'overlay /var/lib/docker/overlay2/abc/merged overlay rw,relatime 0 0',
  '/dev/sdb1 /srv/My\\040Data xfs rw,relatime 0 0',
  // Bind mount of the root filesystem: the same device again, listed once at "/".
  '/dev/mapper/vg0-root /var/lib/kubelet/pods/x/volume ext4 rw,relatime 0 0',
  // btrfs subvolumes share a device: listed once, at the shortest path.
  '/dev/sdc1 /home btrfs rw,relatime,subvol=/@home 0 0',
  '/dev/sdc1 /data btrfs rw,relatime,subvol=/@data 0 0',
  '',
].join('\n');

describe('parseProcMounts', () => {
  it('keeps real local filesystems, once per device, at the shortest mount path', () => {
    expect(parseProcMounts(MOUNTS)).toEqual([
      { device: '/dev/mapper/vg0-root', mount: '/', type: 'ext4' },
      { device: '/dev/nvme0n1p1', mount: '/boot/efi', type: 'vfat' },
      { device: '/dev/sdb1', mount: '/srv/My Data', type: 'xfs' },
      { device: '/dev/sdc1', mount: '/home', type: 'btrfs' },
    ]);
  });

  it('returns nothing for text without device mounts', () => {
    expect(parseProcMounts('proc /proc proc rw 0 0\n')).toEqual([]);
  });
});
