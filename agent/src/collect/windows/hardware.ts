import type { HostFacts } from '@patchfleet/shared/protocol';
import { Errors, PfError } from '@patchfleet/shared/errors';
import { clip } from '../clip';
import { cleanDmiValue } from '../hardware.linux';
import { psInstant } from '@patchfleet/shared/windows';
import { isJsonObject, jsonKind, parsePsJson, psArray, psBool, psInt, psProp, psString } from '@patchfleet/shared/windows';
import { wrapScriptForJson } from './powershell';

/** Host facts that come from CIM: identity, hardware, boot, console user. */
export interface WindowsMachineFacts {
  hostname: string;
  fqdn?: string;
  hardware: HostFacts['hardware'];
  cpu: HostFacts['cpu'];
  memory: HostFacts['memory'];
  disks: HostFacts['disks'];
  network: HostFacts['network'];
  users: HostFacts['users'];
  /** Last boot, ms since epoch; null when unreadable. */
  bootTime: number | null;
}

/**
 * Body of the machine script. These facts come from CIM in the same
 * PowerShell process rather than from systeminformation: on Windows
 * systeminformation starts a PowerShell (or WMIC) process per question, a
 * dozen of them for one inventory, each costing a second or more of CPU on a
 * small VM. Fixed disks only (DriveType 3) and IP-enabled adapters only.
 * LastBootUpTime is written as ISO 8601 UTC by the script so no serializer
 * has to guess its time zone.
 */
export const MACHINE_SCRIPT_BODY = `
$cs = Get-CimInstance -ClassName Win32_ComputerSystem
$bios = Get-CimInstance -ClassName Win32_BIOS
$os = Get-CimInstance -ClassName Win32_OperatingSystem
[ordered]@{
DNSHostName = $cs.DNSHostName
Domain = $cs.Domain
PartOfDomain = $cs.PartOfDomain
Manufacturer = $cs.Manufacturer
Model = $cs.Model
SerialNumber = $bios.SerialNumber
TotalPhysicalMemory = $cs.TotalPhysicalMemory
UserName = $cs.UserName
LastBootUpTime = $os.LastBootUpTime.ToUniversalTime().ToString('o')
Processors = @(Get-CimInstance -ClassName Win32_Processor | ForEach-Object { [ordered]@{ Name = $_.Name; NumberOfCores = $_.NumberOfCores; NumberOfLogicalProcessors = $_.NumberOfLogicalProcessors; MaxClockSpeed = $_.MaxClockSpeed } })
Disks = @(Get-CimInstance -ClassName Win32_LogicalDisk -Filter 'DriveType=3' | ForEach-Object { [ordered]@{ DeviceID = $_.DeviceID; FileSystem = $_.FileSystem; Size = $_.Size; FreeSpace = $_.FreeSpace } })
Network = @(Get-CimInstance -ClassName Win32_NetworkAdapterConfiguration -Filter 'IPEnabled=TRUE' | ForEach-Object { [ordered]@{ Description = $_.Description; MACAddress = $_.MACAddress; IPAddress = @($_.IPAddress | Where-Object { $_ }) } })
}
`;

/** The standalone machine script: prints one JSON object. */
export function buildMachineScript(): string {
  return wrapScriptForJson(MACHINE_SCRIPT_BODY, 4);
}

/** Machine facts from the machine script's JSON (text or bytes). */
export function parseMachineJson(input: string | Uint8Array): WindowsMachineFacts {
  return parseMachineFacts(parsePsJson(input, 'machine JSON'));
}

// Model/manufacturer strings hypervisors put in SMBIOS. HypervisorPresent is
// no help: it is also true on physical hosts running Hyper-V or VBS.
const VIRTUAL_MODEL = /virtual machine|vmware|virtualbox|kvm|qemu|bochs|xen|hvm domu|amazon ec2|google compute engine|openstack|parallels/i;
// Host-side software adapters (virtual switches, VPN and tunnel drivers). A
// VM's own NIC ("Microsoft Hyper-V Network Adapter", "vmxnet3 Ethernet
// Adapter") is its real interface and is not marked.
const VIRTUAL_NIC = /virtual ethernet adapter|host-only|tap-windows|wintun|wireguard|wan miniport|loopback|vpn/i;

/** Machine facts from the parsed machine script output; fields it lacks become empty values. */
export function parseMachineFacts(value: unknown): WindowsMachineFacts {
  if (!isJsonObject(value)) throw new PfError(Errors.BAD_INPUT, `machine JSON: expected an object, got ${jsonKind(value)}`);
  const str = (o: unknown, k: string): string => (psString(psProp(o, k)) ?? '').trim();
  const host = str(value, 'DNSHostName');
  const domain = str(value, 'Domain');
  const vendor = cleanDmiValue(str(value, 'Manufacturer'));
  const model = cleanDmiValue(str(value, 'Model'));
  const cpus = psArray(psProp(value, 'Processors')).filter(isJsonObject);
  const maxMhz = Math.max(0, ...cpus.map((c) => psInt(psProp(c, 'MaxClockSpeed')) ?? 0));
  const bootIso = psInstant(psProp(value, 'LastBootUpTime'), 'unknown');
  const user = str(value, 'UserName');
  const facts: WindowsMachineFacts = {
    hostname: clip(host, 255),
    hardware: { vendor: clip(vendor, 255), model: clip(model, 255), serial: clip(cleanDmiValue(str(value, 'SerialNumber')), 255), virtual: VIRTUAL_MODEL.test(`${vendor} ${model}`) },
    cpu: {
      brand: clip(str(cpus[0], 'Name').replace(/\s+/g, ' '), 255),
      cores: sum(cpus.map((c) => psInt(psProp(c, 'NumberOfLogicalProcessors')) ?? 0)),
      physicalCores: sum(cpus.map((c) => psInt(psProp(c, 'NumberOfCores')) ?? 0)),
      speedGHz: Math.round(maxMhz / 10) / 100,
    },
    memory: { totalBytes: Math.max(0, psInt(psProp(value, 'TotalPhysicalMemory')) ?? 0) },
    disks: psArray(psProp(value, 'Disks')).filter(isJsonObject).slice(0, 256).map((d) => {
      const size = Math.max(0, psInt(psProp(d, 'Size')) ?? 0);
      const free = psInt(psProp(d, 'FreeSpace'));
      const id = str(d, 'DeviceID');
      return {
        name: clip(id, 255),
        type: clip(str(d, 'FileSystem'), 64),
        sizeBytes: size,
        mount: clip(`${id}\\`, 1024),
        ...(free !== undefined ? { usedBytes: Math.max(0, size - free) } : {}),
      };
    }),
    network: psArray(psProp(value, 'Network')).filter(isJsonObject).slice(0, 256).map((n) => {
      const ips = psArray(psProp(n, 'IPAddress')).map((ip) => psString(ip) ?? '').filter(Boolean);
      const description = str(n, 'Description');
      return {
        iface: clip(description, 255),
        mac: clip(str(n, 'MACAddress').toLowerCase(), 64),
        ipv4: ips.filter((ip) => !ip.includes(':')).slice(0, 64).map((ip) => clip(ip, 64)),
        ipv6: ips.filter((ip) => ip.includes(':')).slice(0, 64).map((ip) => clip(ip, 64)),
        internal: false,
        virtual: VIRTUAL_NIC.test(description),
      };
    }),
    // Win32_ComputerSystem.UserName: the console session's user only; remote
    // desktop sessions are not listed.
    users: user ? [{ user: clip(user, 255), tty: 'console' }] : [],
    bootTime: bootIso ? Date.parse(bootIso) : null,
  };
  if (host && domain && psBool(psProp(value, 'PartOfDomain')) === true) facts.fqdn = clip(`${host}.${domain}`.toLowerCase(), 255);
  return facts;
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + Math.max(0, b), 0);
}
