/**
 * Synthetic Windows hosts for the assess benchmark: real 2025 builds and
 * cumulative-update KBs (June, September, November and December, the months
 * of the MSRC fixtures), with hosts patched to different months.
 */
import type { HotFix } from '@patchfleet/shared/windows';
import type { PatchProfile } from './ubuntu-hosts';
import { PATCH_PROFILES } from './ubuntu-hosts';
import type { Rng } from './rng';

export interface WindowsHost {
  kind: 'windows';
  /** `10.0.26100` */
  build: string;
  /** Update build revision: `4946` of 10.0.26100.4946. */
  ubr: number;
  installationType: 'Client' | 'Server' | 'Server Core';
  arch: 'x64' | 'arm64';
  hotfixes: HotFix[];
  hotpatchEnrolled: boolean;
}

/** One monthly cumulative update: its KB and the UBR it brings the build to. */
export interface MonthlyUpdate {
  month: string;
  kb: string;
  ubr: number;
}

/** A Windows version in the fleet and its 2025 security updates (from the MSRC CVRF fixtures; a test checks them). */
export interface WindowsFamily {
  name: string;
  build: string;
  types: readonly WindowsHost['installationType'][];
  weight: number;
  arm64Share: number;
  /** Offered hotpatches (Windows 11 24H2 Enterprise, Server 2025 Azure Edition / Arc). */
  hotpatch: boolean;
  /** Oldest first. */
  updates: readonly MonthlyUpdate[];
}

const UPDATES_26100: readonly MonthlyUpdate[] = [
  { month: '2025-06', kb: 'KB5060842', ubr: 4349 },
  { month: '2025-09', kb: 'KB5065426', ubr: 6584 },
  { month: '2025-11', kb: 'KB5068861', ubr: 7171 },
  { month: '2025-12', kb: 'KB5072033', ubr: 7462 },
];

/** The fleet's Windows versions, weighted like a mixed corporate fleet at the end of 2025. */
export const WINDOWS_FAMILIES: readonly WindowsFamily[] = [
  { name: 'Windows 11 Version 24H2', build: '10.0.26100', types: ['Client'], weight: 0.3, arm64Share: 0.1, hotpatch: true, updates: UPDATES_26100 },
  {
    name: 'Windows 11 Version 25H2',
    build: '10.0.26200',
    types: ['Client'],
    weight: 0.06,
    arm64Share: 0.1,
    hotpatch: false,
    updates: [
      { month: '2025-11', kb: 'KB5068861', ubr: 7171 },
      { month: '2025-12', kb: 'KB5072033', ubr: 7462 },
    ],
  },
  {
    name: 'Windows 11 Version 23H2',
    build: '10.0.22631',
    types: ['Client'],
    weight: 0.12,
    arm64Share: 0.05,
    hotpatch: false,
    updates: [
      { month: '2025-06', kb: 'KB5060999', ubr: 5472 },
      { month: '2025-09', kb: 'KB5065431', ubr: 5909 },
      { month: '2025-11', kb: 'KB5068865', ubr: 6199 },
      { month: '2025-12', kb: 'KB5071417', ubr: 6345 },
    ],
  },
  {
    name: 'Windows 10 Version 22H2',
    build: '10.0.19045',
    types: ['Client'],
    weight: 0.17,
    arm64Share: 0,
    hotpatch: false,
    updates: [
      { month: '2025-06', kb: 'KB5060533', ubr: 5965 },
      { month: '2025-09', kb: 'KB5065429', ubr: 6332 },
      { month: '2025-11', kb: 'KB5068781', ubr: 6575 },
      { month: '2025-12', kb: 'KB5071546', ubr: 6691 },
    ],
  },
  { name: 'Windows Server 2025', build: '10.0.26100', types: ['Server', 'Server Core'], weight: 0.1, arm64Share: 0, hotpatch: true, updates: UPDATES_26100 },
  {
    name: 'Windows Server 2022',
    build: '10.0.20348',
    types: ['Server', 'Server Core'],
    weight: 0.15,
    arm64Share: 0,
    hotpatch: false,
    updates: [
      { month: '2025-06', kb: 'KB5060526', ubr: 3807 },
      { month: '2025-09', kb: 'KB5065432', ubr: 4171 },
      { month: '2025-11', kb: 'KB5068787', ubr: 4405 },
      { month: '2025-12', kb: 'KB5071547', ubr: 4529 },
    ],
  },
  {
    name: 'Windows Server 2019',
    build: '10.0.17763',
    types: ['Server', 'Server Core'],
    weight: 0.1,
    arm64Share: 0,
    hotpatch: false,
    updates: [
      { month: '2025-06', kb: 'KB5060531', ubr: 7434 },
      { month: '2025-09', kb: 'KB5065428', ubr: 7792 },
      { month: '2025-11', kb: 'KB5068791', ubr: 8027 },
      { month: '2025-12', kb: 'KB5071544', ubr: 8146 },
    ],
  },
];

/**
 * Hotpatch on 10.0.26100: the October 2025 cumulative update is the
 * baseline, November and December ship as hotpatches on it (no restart).
 */
export const HOTPATCH_26100 = {
  baseline: { month: '2025-10', kb: 'KB5066835' },
  hotpatches: [
    { month: '2025-11', kb: 'KB5068966', ubr: 7092 },
    { month: '2025-12', kb: 'KB5072014', ubr: 7392 },
  ],
} as const;

// Patch Tuesdays of 2025 for the months above: installs land on the days after.
const PATCH_TUESDAY: Readonly<Record<string, number>> = { '2025-06': 10, '2025-09': 9, '2025-10': 14, '2025-11': 11, '2025-12': 9 };

// Non-security updates a host lists beside its cumulative update (.NET, SSU,
// Secure Boot DBX; seen in the agent's fixtures); they do not decide applicability.
const OTHER_UPDATES: readonly HotFix[] = [
  { kb: 'KB5054156', description: 'Update', installedOn: '2025-04-09' },
  { kb: 'KB5066131', description: 'Update', installedOn: '2025-10-15' },
  { kb: 'KB5031590', description: 'Update', installedOn: null },
  { kb: 'KB5012170', description: 'Security Update', installedOn: '2022-08-10' },
];

const SYSTEM = 'NT AUTHORITY\\SYSTEM';

/** One Windows host; see PATCH_PROFILES for how far behind it is. */
export function windowsHost(rng: Rng): WindowsHost {
  const family = rng.weighted(WINDOWS_FAMILIES.map((f) => [f, f.weight] as const));
  const profile = rng.weighted(PATCH_PROFILES);
  const arch = rng.chance(family.arm64Share) ? 'arm64' : 'x64';
  const installationType = rng.pick(family.types);
  const hotpatchEnrolled = family.hotpatch && rng.chance(0.25);
  const month = monthIndex(rng, family.updates.length, profile);
  const hotfixes: HotFix[] = [];
  for (const other of OTHER_UPDATES) if (rng.chance(0.5)) hotfixes.push({ ...other, installedBy: SYSTEM });

  if (month < 0) {
    // Forgotten since before June: only older updates, and a build before June's.
    return { kind: 'windows', build: family.build, ubr: family.updates[0]!.ubr - 100 - rng.int(400), installationType, arch, hotfixes, hotpatchEnrolled };
  }
  const update = family.updates[month]!;
  const hotpatch = hotpatchEnrolled ? HOTPATCH_26100.hotpatches.findIndex((h) => h.month === update.month) : -1;
  if (hotpatch >= 0) {
    // Enrolled and on a hotpatch month: the October baseline plus the hotpatches since.
    hotfixes.push(installed(HOTPATCH_26100.baseline.kb, HOTPATCH_26100.baseline.month, rng));
    for (const h of HOTPATCH_26100.hotpatches.slice(0, hotpatch + 1)) hotfixes.push(installed(h.kb, h.month, rng));
    return { kind: 'windows', build: family.build, ubr: HOTPATCH_26100.hotpatches[hotpatch]!.ubr, installationType, arch, hotfixes, hotpatchEnrolled };
  }
  // Get-HotFix often still lists the previous cumulative update after the new one.
  if (month > 0 && rng.chance(0.3)) hotfixes.push(installed(family.updates[month - 1]!.kb, family.updates[month - 1]!.month, rng));
  hotfixes.push(installed(update.kb, update.month, rng));
  return { kind: 'windows', build: family.build, ubr: update.ubr, installationType, arch, hotfixes, hotpatchEnrolled };
}

// Index into a family's updates (-1: older than all of them).
function monthIndex(rng: Rng, count: number, profile: PatchProfile): number {
  const newest = count - 1;
  switch (profile) {
    case 'current':
      return rng.chance(0.8) ? newest : Math.max(0, newest - 1);
    case 'lagging':
      return Math.max(0, newest - 1 - rng.int(2));
    case 'stale':
      // Two or more months behind, or older than every update here.
      return rng.int(Math.max(1, newest)) - 1;
  }
}

function installed(kb: string, month: string, rng: Rng): HotFix {
  const day = (PATCH_TUESDAY[month] ?? 10) + rng.int(7);
  return { kb, description: 'Security Update', installedOn: `${month}-${String(day).padStart(2, '0')}`, installedBy: SYSTEM };
}
