/**
 * What a simulated host reports: its enrollment (the token's labels carry
 * role and criticality), its host facts (OS id, version or build, model: the
 * rest of the class the controller derives), and its packages, which make
 * exactly the scenario's patches for its class missing until installed
 * (catalog-setup.ts decides them; catalog-check.ts proves it against the
 * controller's own assessment). Pure: the same inputs give the same report.
 *
 * Ubuntu hosts hold the packages their patches fix, below the fix before an
 * install and at it after; Windows hosts list installed KBs as the agent does
 * (manager `windows`, version = install day) and report the UBR the
 * installed real KBs bring. A rollback is the same report without the patch.
 */
import type { Body, HostFacts, Inventory, Package, PackageKey } from '@patchfleet/shared';
import { packageKey } from '@patchfleet/shared';
import type { HotFix } from '@patchfleet/shared/windows';
import type { CatalogSetup, ClassSetup } from './catalog-setup';

const HOUR_MS = 3_600_000;
/** Most packages one inventory frame may carry (InventorySchema). */
const MAX_PACKAGES_PER_FRAME = 5000;

/** Installed scenario patches of one host: patch id -> when it was installed (ms since the epoch, virtual). */
export type InstalledPatches = ReadonlyMap<string, number>;

/** A simulated host's stable identity (fleet-model.ts's SimHost fits). */
export interface SimHostIdentity {
  index: number;
  hostname: string;
  serial: string;
}

/** What changes from report to report besides packages: the time and the boot. */
export interface HostMoment {
  /** ms since the epoch (virtual). */
  now: number;
  /** A new id after every reboot: the controller tells a reboot (or a host that did not come back) by it. */
  bootId: string;
  bootTime: number;
  pendingReboot?: HostFacts['pendingReboot'];
}

/** The Windows facts the agent adds beside HostFacts (agent/src/collect/windows/map-inventory.ts). */
export interface SimWindowsFacts {
  edition: string | null;
  installationType: string | null;
  displayVersion: string | null;
  productName: string | null;
  hotpatchEnrolled: boolean | null;
  vbsStatus: number | null;
  hotfixes: HotFix[];
  updateHistory: never[];
  updateHistoryTotal: number | null;
  psVersion: string | null;
}

export function classSetup(setup: CatalogSetup, className: string): ClassSetup {
  const cls = setup.classes.find((c) => c.name === className);
  if (cls === undefined) throw new Error(`class ${className} is not in scenario ${setup.scenario}`);
  return cls;
}

/** Patch ids a host holds at hour `hour` of the run, from its exposures (fleet-model.ts's HostState.exposures). */
export function installedAt(exposures: readonly { patchId: string; installedAt: number; removedAt?: number | null }[], hour: number, start: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of exposures) {
    if (e.installedAt <= hour && (e.removedAt === null || e.removedAt === undefined || e.removedAt > hour)) out.set(e.patchId, start + e.installedAt * HOUR_MS);
  }
  return out;
}

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The KBs a Windows host lists: held from the start, and the scenario KBs of its class it installed. */
function hotfixList(setup: CatalogSetup, cls: ClassSetup, installed: InstalledPatches): { kb: string; installedOn: string }[] {
  const list = cls.preinstalledKbs.map((kb) => ({ kb, installedOn: day(setup.start) }));
  for (const p of setup.patches) {
    const at = installed.get(p.id);
    if (p.kind === 'kb' && at !== undefined && p.appliesTo.includes(cls.name)) list.push({ kb: p.id, installedOn: day(at) });
  }
  return list;
}

/** Update build revision of a Windows host: its class's, raised by the real KBs it installed. */
export function hostUbr(setup: CatalogSetup, cls: ClassSetup, installed: InstalledPatches): number | null {
  if (cls.platform !== 'windows') return null;
  let ubr = cls.ubr;
  for (const p of setup.patches) {
    const revision = p.revisions[cls.name];
    if (revision !== undefined && revision !== null && installed.has(p.id) && (ubr === null || revision > ubr)) ubr = revision;
  }
  return ubr;
}

/** The packages a host of `className` reports with `installed` patches. */
export function hostPackages(setup: CatalogSetup, className: string, installed: InstalledPatches): Package[] {
  const cls = classSetup(setup, className);
  if (cls.platform === 'windows') {
    return hotfixList(setup, cls, installed).map((h) => ({ name: h.kb, version: h.installedOn, sourceName: h.kb, sourceVersion: h.installedOn, arch: cls.os.arch, manager: 'windows' }));
  }
  const packages: Package[] = [];
  for (const p of setup.patches) {
    for (const change of p.packages[cls.name] ?? []) {
      const version = installed.has(p.id) ? change.after : change.before;
      packages.push({ name: change.name, version, sourceName: change.sourceName, sourceVersion: version, arch: change.arch, manager: 'dpkg' });
    }
  }
  return packages;
}

function ipv4(index: number): string {
  return `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`;
}

function mac(index: number): string {
  return `52:54:00:${[(index >> 16) & 255, (index >> 8) & 255, index & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
}

/** The host facts of a simulated host (HostFacts, plus `windows` on Windows as the agent sends them). */
export function hostFacts(setup: CatalogSetup, className: string, host: SimHostIdentity, at: HostMoment, installed: InstalledPatches): HostFacts & { windows?: SimWindowsFacts } {
  const cls = classSetup(setup, className);
  const ubr = hostUbr(setup, cls, installed);
  const facts: HostFacts & { windows?: SimWindowsFacts } = {
    hostname: host.hostname,
    fqdn: `${host.hostname}.sim.test`,
    os: {
      ...cls.os,
      // The NT kernel's file version is the OS build with its revision, as the agent reports it.
      kernel: cls.platform === 'windows' ? `${cls.os.version}.${ubr ?? 0}` : 'simulated',
      ...(ubr !== null ? { ubr } : {}),
    },
    hardware: { ...cls.hardware, serial: host.serial },
    cpu: { brand: 'Simulated CPU', cores: 4, physicalCores: 2, speedGHz: 2.5 },
    memory: { totalBytes: 16 * 2 ** 30 },
    disks: [{ name: cls.platform === 'windows' ? 'C:' : '/dev/vda', type: 'SSD', sizeBytes: 256 * 2 ** 30, mount: cls.platform === 'windows' ? 'C:' : '/', usedBytes: 64 * 2 ** 30 }],
    network: [{ iface: cls.platform === 'windows' ? 'Ethernet' : 'eth0', mac: mac(host.index), ipv4: [ipv4(host.index)], ipv6: [], internal: false }],
    bootId: at.bootId,
    bootTime: at.bootTime,
    uptimeSec: Math.max(0, Math.floor((at.now - at.bootTime) / 1000)),
    users: [],
    pendingReboot: at.pendingReboot ?? { required: false, reasons: [] },
    packageManagers: [cls.platform === 'windows' ? 'windows' : 'dpkg'],
  };
  if (cls.platform === 'windows') {
    facts.windows = {
      edition: cls.installationType === 'Server' ? 'ServerDatacenter' : 'Professional',
      installationType: cls.installationType,
      displayVersion: /Version (\w+)/.exec(cls.os.name)?.[1] ?? null,
      productName: cls.os.name,
      // Hotpatch KBs apply only to enrolled hosts; simulated hosts take the monthly updates.
      hotpatchEnrolled: false,
      vbsStatus: null,
      hotfixes: hotfixList(setup, cls, installed).map((h) => ({ kb: h.kb, description: 'Security Update', installedOn: h.installedOn })),
      updateHistory: [],
      updateHistoryTotal: 0,
      psVersion: null,
    };
  }
  return facts;
}

/** A whole inventory of a simulated host. */
export function inventoryReport(setup: CatalogSetup, className: string, host: SimHostIdentity, at: HostMoment, installed: InstalledPatches): Inventory {
  return { host: hostFacts(setup, className, host, at, installed), packages: hostPackages(setup, className, installed) };
}

/** The frame bodies (for makeFrame('inventory', ...)) of a full report, split into parts as the agent splits them. */
export function fullReportBodies(inv: Inventory, opts: { seq: number; collectedAt: number; epoch?: string }): Body<'inventory'>[] {
  const parts = Math.max(1, Math.ceil(inv.packages.length / MAX_PACKAGES_PER_FRAME));
  return Array.from({ length: parts }, (_, part) => ({
    seq: opts.seq,
    kind: 'full' as const,
    ...(opts.epoch ? { epoch: opts.epoch } : {}),
    part,
    parts,
    packageCount: inv.packages.length,
    collectedAt: opts.collectedAt,
    ...(part === 0 ? { host: inv.host } : {}),
    packages: inv.packages.slice(part * MAX_PACKAGES_PER_FRAME, (part + 1) * MAX_PACKAGES_PER_FRAME),
  }));
}

/** What changed between two package lists: upserts (new or other version) and removals, as a delta report carries them. */
export function packageDelta(before: readonly Package[], after: readonly Package[]): { packages: Package[]; removed: PackageKey[] } {
  const old = new Map(before.map((p) => [packageKey(p), p]));
  const now = new Set(after.map((p) => packageKey(p)));
  const packages = after.filter((p) => {
    const o = old.get(packageKey(p));
    return o === undefined || o.version !== p.version || o.sourceVersion !== p.sourceVersion || o.sourceName !== p.sourceName;
  });
  const removed = before.filter((p) => !now.has(packageKey(p))).map((p) => ({ name: p.name, arch: p.arch, manager: p.manager }));
  return { packages, removed };
}

/** The frame body of a one-part delta report on top of report `baseSeq` (small: a patch changes a few packages). */
export function deltaReportBody(before: Inventory, after: Inventory, opts: { seq: number; baseSeq: number; collectedAt: number; epoch?: string }): Body<'inventory'> {
  const { packages, removed } = packageDelta(before.packages, after.packages);
  return {
    seq: opts.seq,
    kind: 'delta',
    baseSeq: opts.baseSeq,
    ...(opts.epoch ? { epoch: opts.epoch } : {}),
    part: 0,
    parts: 1,
    packageCount: packages.length,
    collectedAt: opts.collectedAt,
    host: after.host,
    packages,
    removed,
  };
}

/** The body of POST /api/v1/enrollment-tokens for the hosts of one class: its labels are how role and criticality reach the controller. */
export function enrollmentTokenRequest(setup: CatalogSetup, className: string, uses: number, ttl = '30d'): { uses: number; ttl: string; labels: Record<string, string>; description: string } {
  const cls = classSetup(setup, className);
  return { uses, ttl, labels: { role: cls.labels.role, criticality: cls.labels.criticality }, description: `simulated hosts of scenario ${setup.scenario}` };
}
