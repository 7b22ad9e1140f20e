import type { HostFacts, Inventory, Package } from '@patchfleet/shared/protocol';
import { Errors, PfError } from '@patchfleet/shared/errors';
import { clip } from '../clip';
import type { WarnFn } from '../with-timeout';
import type { HotFix } from '@patchfleet/shared/windows';
import { deriveHotpatchEnrolled } from './hotpatch';
import type { InventoryScriptOutput } from './inventory-script';
import type { UpdateHistoryEntry } from './update-history';

/** Windows facts beyond HostFacts, sent as its extra `windows` property. */
export interface WindowsExtraFacts {
  edition: string | null;
  installationType: string | null;
  displayVersion: string | null;
  productName: string | null;
  /** See deriveHotpatchEnrolled: null when the host cannot tell. */
  hotpatchEnrolled: boolean | null;
  /** VirtualizationBasedSecurityStatus: 0 off, 1 enabled not running, 2 running; null unknown. */
  vbsStatus: number | null;
  hotfixes: HotFix[];
  /** Newest first, as many as the script read; `updateHistoryTotal` says how many the host holds. */
  updateHistory: UpdateHistoryEntry[];
  updateHistoryTotal: number | null;
  /** The Windows PowerShell that collected this ("5.1.26100.7019"). */
  psVersion: string | null;
  /** Parts of the collection that failed, by name, with PowerShell's message. Absent when none did. */
  errors?: Record<string, string>;
}

/** HostFacts with the Windows extras. */
export type WindowsHostFacts = HostFacts & { windows: WindowsExtraFacts };

export interface MapOptions {
  /** Clock, ms since epoch. */
  now: () => number;
  warn: WarnFn;
  /** Used when the CIM part failed: Node's view of the host. */
  fallback: { hostname: string; uptimeSec: number; totalMemBytes: number };
}

const REASON_MAX = 512;

/**
 * Maps the inventory script's parts onto the wire Inventory.
 *
 * Fatal (PF_ERR_COLLECT_FAILED): the OS part, without which the host cannot be
 * identified, and the hotfix part, because a report without its packages
 * would read as every KB uninstalled. Every other part degrades to empty
 * values, a warning, and an entry in `windows.errors`.
 *
 * Packages: one per installed KB, manager 'windows', version = install date
 * (`YYYY-MM-DD`, '0' when unknown: a KB has no version of its own and the
 * date is what changes when it is reinstalled), arch = the OS architecture.
 */
export function mapWindowsInventory(out: InventoryScriptOutput, opts: MapOptions): Inventory & { host: WindowsHostFacts } {
  if (!out.os.ok) throw new PfError(Errors.COLLECT_FAILED, `Windows OS facts not collected: ${out.os.error}`, { part: 'os' });
  if (!out.hotfixes.ok) throw new PfError(Errors.COLLECT_FAILED, `installed hotfixes not listed: ${out.hotfixes.error}`, { part: 'hotfixes' });
  const os = out.os.data;
  const hotfixes = out.hotfixes.data;
  const errors: Record<string, string> = {};
  const failed = (part: string, error: string): void => {
    errors[part] = clip(error, REASON_MAX);
    opts.warn(`Windows ${part} not collected: ${error}`);
  };

  const machine = out.machine.ok ? out.machine.data : undefined;
  if (!out.machine.ok) failed('machine', out.machine.error);
  const history = out.updateHistory.ok ? out.updateHistory.data : undefined;
  if (!out.updateHistory.ok) failed('updateHistory', out.updateHistory.error);
  let pendingReboot: HostFacts['pendingReboot'];
  if (out.pendingReboot.ok) pendingReboot = out.pendingReboot.data;
  else {
    failed('pendingReboot', out.pendingReboot.error);
    // Not claimed without evidence, but the report says it could not look.
    pendingReboot = { required: false, reasons: [clip(`pending reboot unknown: ${out.pendingReboot.error}`, REASON_MAX)] };
  }

  const now = opts.now();
  const bootTime = machine?.bootTime ?? Math.max(0, Math.floor(now - opts.fallback.uptimeSec * 1000));
  const host: WindowsHostFacts = {
    hostname: clip(machine?.hostname || opts.fallback.hostname, 255),
    ...(machine?.fqdn ? { fqdn: machine.fqdn } : {}),
    os: {
      platform: 'windows',
      id: 'windows',
      name: clip(os.name, 255),
      version: clip(os.version, 64),
      ...(os.displayVersion ? { codename: clip(os.displayVersion, 64) } : {}),
      // The NT kernel's file version is the OS build: 10.0.26100.7171.
      kernel: clip(os.ubr === null ? os.version : `${os.version}.${os.ubr}`, 255),
      arch: clip(os.architecture, 32),
      build: clip(os.build, 32),
      ...(os.ubr !== null && os.ubr >= 0 ? { ubr: os.ubr } : {}),
    },
    hardware: machine?.hardware ?? { vendor: '', model: '', serial: '' },
    cpu: machine?.cpu ?? { brand: '', cores: 0, physicalCores: 0, speedGHz: 0 },
    memory: machine?.memory ?? { totalBytes: opts.fallback.totalMemBytes },
    disks: machine?.disks ?? [],
    network: machine?.network ?? [],
    // Windows has no boot id; the boot time identifies the boot (it is the
    // kernel's figure from CIM, stable between reports).
    bootId: `boot-${new Date(bootTime).toISOString()}`,
    bootTime,
    uptimeSec: Math.max(0, Math.floor((now - bootTime) / 1000)),
    users: machine?.users ?? [],
    pendingReboot,
    packageManagers: ['windows'],
    windows: {
      edition: os.editionId,
      installationType: os.installationType,
      displayVersion: os.displayVersion,
      productName: os.productName,
      hotpatchEnrolled: deriveHotpatchEnrolled(os, history?.entries ?? null),
      vbsStatus: os.vbsStatus,
      hotfixes,
      updateHistory: history?.entries ?? [],
      updateHistoryTotal: history?.totalCount ?? null,
      psVersion: out.psVersion,
      ...(Object.keys(errors).length > 0 ? { errors } : {}),
    },
  };
  const arch = clip(os.architecture, 64);
  const packages: Package[] = hotfixes.map((h) => {
    const version = h.installedOn ?? '0';
    return { name: h.kb, version, sourceName: h.kb, sourceVersion: version, arch, manager: 'windows' };
  });
  return { host, packages };
}
