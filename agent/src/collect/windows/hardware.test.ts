import { describe, expect, it } from 'vitest';
import { buildMachineScript, MACHINE_SCRIPT_BODY, parseMachineFacts, parseMachineJson, type WindowsMachineFacts } from './hardware';
import { compactScript } from './powershell';
import { fixtureJson } from './test-fixtures';

// The machine part of the combined fixtures.
const machineData = (name: string): unknown => ((fixtureJson(name) as { machine: { data: unknown } }).machine.data);

describe('machine script', () => {
  it('reads CIM classes and writes LastBootUpTime as ISO UTC', () => {
    const lines = compactScript(MACHINE_SCRIPT_BODY).split('\n');
    expect(lines.slice(0, 3)).toEqual([
      '$cs = Get-CimInstance -ClassName Win32_ComputerSystem',
      '$bios = Get-CimInstance -ClassName Win32_BIOS',
      '$os = Get-CimInstance -ClassName Win32_OperatingSystem',
    ]);
    expect(lines).toContain("LastBootUpTime = $os.LastBootUpTime.ToUniversalTime().ToString('o')");
    expect(lines).toContain(
      "Disks = @(Get-CimInstance -ClassName Win32_LogicalDisk -Filter 'DriveType=3' | ForEach-Object { [ordered]@{ DeviceID = $_.DeviceID; FileSystem = $_.FileSystem; Size = $_.Size; FreeSpace = $_.FreeSpace } })",
    );
    expect(buildMachineScript().split('\n').at(-1)).toBe('ConvertTo-Json -InputObject $pfResult -Depth 4 -Compress');
  });
});

describe('parseMachineFacts', () => {
  it('a domain-joined laptop (en-US fixture)', () => {
    expect(parseMachineFacts(machineData('inventory.ps51.en-US.json'))).toEqual<WindowsMachineFacts>({
      hostname: 'WS-0142',
      fqdn: 'ws-0142.corp.example.com',
      hardware: { vendor: 'Dell Inc.', model: 'Latitude 7440', serial: '7XK2QW3', virtual: false },
      cpu: { brand: '13th Gen Intel(R) Core(TM) i7-1365U', cores: 12, physicalCores: 10, speedGHz: 1.8 },
      memory: { totalBytes: 34093273088 },
      disks: [{ name: 'C:', type: 'NTFS', sizeBytes: 511101108224, mount: 'C:\\', usedBytes: 309774516224 }],
      network: [
        { iface: 'Intel(R) Wi-Fi 6E AX211 160MHz', mac: 'a4:c3:f0:12:34:56', ipv4: ['10.20.30.41'], ipv6: ['fe80::1c2d:3e4f:5a6b:7c8d'], internal: false, virtual: false },
        { iface: 'Hyper-V Virtual Ethernet Adapter', mac: '00:15:5d:01:02:03', ipv4: ['172.28.16.1'], ipv6: ['fe80::9d1e:2b3c:4d5e:6f70'], internal: false, virtual: true },
      ],
      users: [{ user: 'CORP\\jdoe', tty: 'console' }],
      bootTime: Date.parse('2025-11-12T08:52:13.500Z'),
    });
  });

  it('a Server Core VM on Hyper-V (de-DE fixture): virtual, nobody at the console, two disks', () => {
    const m = parseMachineFacts(machineData('inventory.ps51.de-DE.partial.json'));
    expect(m.hardware).toEqual({ vendor: 'Microsoft Corporation', model: 'Virtual Machine', serial: '0000-0002-1234-5678-9012-3456-78', virtual: true });
    expect(m.users).toEqual([]);
    expect(m.fqdn).toBe('srv-db-07.corp.example.de');
    expect(m.disks.map((d) => [d.name, d.type, d.usedBytes])).toEqual([
      ['C:', 'NTFS', 38447476736],
      ['D:', 'ReFS', 687127658496],
    ]);
    // The VM's own NIC is its real interface.
    expect(m.network).toEqual([{ iface: 'Microsoft Hyper-V Network Adapter', mac: '00:15:5d:0a:0b:0c', ipv4: ['10.40.1.17'], ipv6: [], internal: false, virtual: false }]);
    expect(m.cpu).toEqual({ brand: 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz', cores: 4, physicalCores: 4, speedGHz: 2 });
  });

  it('firmware placeholders become empty, a workgroup host has no fqdn, missing fields are empty', () => {
    const m = parseMachineJson('{"DNSHostName":"kiosk-3","Domain":"WORKGROUP","PartOfDomain":false,"Manufacturer":"To Be Filled By O.E.M.","SerialNumber":"Default string","LastBootUpTime":null}');
    expect(m).toEqual<WindowsMachineFacts>({
      hostname: 'kiosk-3',
      hardware: { vendor: '', model: '', serial: '', virtual: false },
      cpu: { brand: '', cores: 0, physicalCores: 0, speedGHz: 0 },
      memory: { totalBytes: 0 },
      disks: [],
      network: [],
      users: [],
      bootTime: null,
    });
  });

  it('refuses what is not an object', () => {
    expect(() => parseMachineJson('[1]')).toThrow('machine JSON: expected an object, got an array');
  });
});
