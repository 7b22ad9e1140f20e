import type { NetworkInterfaceInfo } from 'node:os';
import { describe, it, expect } from 'vitest';
import { buildNetwork, type SysfsInterface } from './network.linux';

const v4 = (address: string, mac: string, internal = false): NetworkInterfaceInfo =>
  ({ address, netmask: '255.255.255.0', family: 'IPv4', mac, internal, cidr: `${address}/24` });
const v6 = (address: string, mac: string, internal = false): NetworkInterfaceInfo =>
  ({ address, netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac, internal, cidr: `${address}/64`, scopeid: 0 });

describe('buildNetwork', () => {
  const sysfs: SysfsInterface[] = [
    { iface: 'lo', mac: '00:00:00:00:00:00', virtual: true, loopback: true },
    { iface: 'eth0', mac: '02:fc:00:00:00:01', virtual: false, loopback: false },
    { iface: 'eth1', mac: '02:fc:00:00:00:02', virtual: false, loopback: false },
    { iface: 'veth12ab', mac: 'aa:bb:cc:00:00:01', virtual: true, loopback: false },
    { iface: 'docker0', mac: '02:42:ac:11:00:01', virtual: true, loopback: false },
  ];
  const addrs = {
    lo: [v4('127.0.0.1', '00:00:00:00:00:00', true), v6('::1', '00:00:00:00:00:00', true)],
    eth0: [v4('192.0.2.2', '02:fc:00:00:00:01'), v4('192.0.2.3', '02:fc:00:00:00:01'), v6('fd00::2', '02:fc:00:00:00:01'), v6('fe80::fc:ff:fe00:1', '02:fc:00:00:00:01')],
    docker0: [v4('172.17.0.1', '02:42:ac:11:00:01')],
    'eth0:1': [v4('198.51.100.7', '02:fc:00:00:00:01')],
  };

  it('lists every address, physical interfaces without addresses, and sorts by name', () => {
    expect(buildNetwork(sysfs, addrs)).toEqual([
      { iface: 'docker0', mac: '02:42:ac:11:00:01', ipv4: ['172.17.0.1'], ipv6: [], internal: false, virtual: true },
      { iface: 'eth0', mac: '02:fc:00:00:00:01', ipv4: ['192.0.2.2', '192.0.2.3'], ipv6: ['fd00::2', 'fe80::fc:ff:fe00:1'], internal: false, virtual: false },
      { iface: 'eth0:1', mac: '02:fc:00:00:00:01', ipv4: ['198.51.100.7'], ipv6: [], internal: false, virtual: true },
      { iface: 'eth1', mac: '02:fc:00:00:00:02', ipv4: [], ipv6: [], internal: false, virtual: false },
      { iface: 'lo', mac: '00:00:00:00:00:00', ipv4: ['127.0.0.1'], ipv6: ['::1'], internal: true, virtual: true },
    ]);
  });

  it('leaves out virtual interfaces without addresses', () => {
    expect(buildNetwork(sysfs, addrs).some((n) => n.iface === 'veth12ab')).toBe(false);
  });

  it('works from node:os alone when sysfs is unreadable', () => {
    expect(buildNetwork([], { lo: addrs.lo }).map((n) => [n.iface, n.internal])).toEqual([['lo', true]]);
  });
});
