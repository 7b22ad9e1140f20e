/**
 * One-off measurement of assessment throughput (not a test: timings depend on the machine).
 *
 *   pnpm exec tsx controller/src/catalog/applicability/measure-applicability.ts
 *
 * Ubuntu: 10,000 synthetic hosts of about 1,500 packages each, against the
 * real USN fixtures and against a catalog of 3,600 notices made by copying
 * them (a quarter of the copies keep the real binary names, so popular
 * binaries carry dozens of fixes per release, as libc6 does). Windows:
 * 10,000 hosts of mixed releases, builds, hotfixes and enrollment against
 * the four 2025 MSRC documents, and hosts far behind a 120-month chain.
 * Prints hosts per second for each, and the time to build each index.
 */
import type { Catalog, UsnAdvisory, WindowsKb } from '../model';
import { fixtureCatalog } from './fixture-catalog';
import { assessUbuntu, type UbuntuHost, type UbuntuInstalledPackage } from './ubuntu';
import { prepareUbuntuIndex } from './ubuntu-index';
import { assessWindows, type WindowsHost } from './windows';
import { prepareWindowsIndex } from './windows-index';

const HOSTS = 10_000;
const PACKAGES = 1_500;
const TEMPLATES = 100;

// A small deterministic generator: runs compare across machines.
let seed = 42;
const random = (): number => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

function enlarged(usns: UsnAdvisory[], copies: number): UsnAdvisory[] {
  const out: UsnAdvisory[] = [];
  for (let i = 0; i < copies; i++) {
    usns.forEach((u, j) => {
      const rename = i % 4 !== 0;
      out.push({
        ...u,
        id: `USN-${100000 + i * 100 + j}-1`,
        fixes: u.fixes.map((f) => ({ ...f, binaries: f.binaries.map((b) => ({ name: rename ? `${b.name}-s${i}` : b.name, version: b.version })) })),
      });
    });
  }
  return out;
}

function ubuntuHosts(usns: UsnAdvisory[], release: string): UbuntuHost[] {
  const fixed = new Map<string, { version: string; source: string }>();
  for (const u of usns) for (const f of u.fixes) if (f.release === release) for (const b of f.binaries) fixed.set(b.name, { version: b.version, source: f.sourcePackage });
  const names = [...fixed.keys()];
  const templates: UbuntuHost[] = [];
  for (let t = 0; t < TEMPLATES; t++) {
    const packages = new Map<string, UbuntuInstalledPackage>();
    // About a third of a real host's packages are named by some USN.
    while (packages.size < PACKAGES / 3 && packages.size < names.length) {
      const name = pick(names);
      const { version, source } = fixed.get(name)!;
      const installed = random() < 0.3 ? `${version}~old` : version;
      packages.set(name, { name, version: installed, sourceName: source, sourceVersion: installed.replace(/^\d+:/, ''), arch: 'amd64' });
    }
    for (let i = 0; packages.size < PACKAGES; i++) {
      const name = `filler-${t}-${i}`;
      packages.set(name, { name, version: '1.0-1ubuntu1', sourceName: name, sourceVersion: '1.0-1ubuntu1', arch: 'amd64' });
    }
    templates.push({ release, packages: [...packages.values()] });
  }
  return templates;
}

function time<T>(fn: () => T): [T, number] {
  const t = performance.now();
  const value = fn();
  return [value, performance.now() - t];
}

function measureUbuntu(label: string, catalog: Pick<Catalog, 'usns'>): void {
  const [index, prepareMs] = time(() => prepareUbuntuIndex(catalog));
  const templates = [...ubuntuHosts(catalog.usns, '22.04'), ...ubuntuHosts(catalog.usns, '24.04')];
  // Fixes each host is compared with: the work that grows with the catalog.
  let comparisons = 0;
  for (const t of templates) {
    const release = index.releases.get(t.release);
    for (const p of t.packages) comparisons += (release?.byBinary.get(p.name)?.standard.length ?? 0) + (release?.byBinary.get(p.name)?.pro.length ?? 0);
  }
  let missing = 0;
  const [, ms] = time(() => {
    for (let h = 0; h < HOSTS; h++) missing += assessUbuntu(templates[h % templates.length]!, index).missing.length;
  });
  console.log(
    JSON.stringify({
      ubuntu: label,
      usns: catalog.usns.length,
      indexedTargets: index.targets,
      prepareMs: Math.round(prepareMs),
      hosts: HOSTS,
      packagesPerHost: PACKAGES,
      fixesComparedPerHost: Math.round(comparisons / templates.length),
      seconds: +(ms / 1000).toFixed(2),
      hostsPerSecond: Math.round(HOSTS / (ms / 1000)),
      missingFindingsPerHost: +(missing / HOSTS).toFixed(1),
    }),
  );
}

function windowsHosts(): WindowsHost[] {
  const shapes: Omit<WindowsHost, 'ubr' | 'hotfixes' | 'hotpatchEnrolled'>[] = [
    { build: '10.0.26100', installationType: 'Client', arch: 'AMD64' },
    { build: '10.0.26200', installationType: 'Client', arch: 'ARM64' },
    { build: '10.0.22631', installationType: 'Client', arch: 'AMD64' },
    { build: '10.0.19045', installationType: 'Client', arch: 'AMD64' },
    { build: '10.0.26100', installationType: 'Server', arch: 'AMD64' },
    { build: '10.0.26100', installationType: 'Server Core', arch: 'AMD64' },
    { build: '10.0.20348', installationType: 'Server', arch: 'AMD64' },
    { build: '10.0.17763', installationType: 'Server Core', arch: 'AMD64' },
  ];
  const kbs = ['KB5063878', 'KB5065426', 'KB5066835', 'KB5068861', 'KB5068966', 'KB5071547', 'KB5066782'];
  const hosts: WindowsHost[] = [];
  for (let h = 0; h < HOSTS; h++) {
    hosts.push({
      ...pick(shapes),
      ubr: Math.floor(3000 + random() * 4600),
      hotfixes: random() < 0.5 ? [pick(kbs)] : [],
      hotpatchEnrolled: pick([true, false, null]),
    });
  }
  return hosts;
}

function measureWindows(label: string, catalog: Pick<Catalog, 'kbs'>, hosts: WindowsHost[]): void {
  const [index, prepareMs] = time(() => prepareWindowsIndex(catalog));
  let missing = 0;
  const [, ms] = time(() => {
    for (const host of hosts) missing += assessWindows(host, index).missing.length;
  });
  console.log(
    JSON.stringify({
      windows: label,
      kbs: catalog.kbs.length,
      prepareMs: Math.round(prepareMs),
      hosts: hosts.length,
      seconds: +(ms / 1000).toFixed(2),
      hostsPerSecond: Math.round(hosts.length / (ms / 1000)),
      missingFindingsPerHost: +(missing / hosts.length).toFixed(2),
    }),
  );
}

/** A 120-month chain of cumulative updates and hotpatches for one product family. */
function longChain(months: number): WindowsKb[] {
  const products = ['Windows 11 Version 24H2 for x64-based Systems', 'Windows Server 2025', 'Windows Server 2025 (Server Core installation)'];
  const kbs: WindowsKb[] = [];
  for (let m = 0; m < months; m++) {
    const cves = Array.from({ length: 60 }, (_, i) => `CVE-2030-${String(m * 100 + i + 10000)}`);
    const product = (build: number) => products.map((name, i) => ({ productId: String(i), name, fixedBuild: `10.0.26100.${build}` }));
    kbs.push({ id: `KB${7000000 + m}`, month: null, title: null, products: product(100 + m * 10), cves, supersedes: m === 0 ? [] : [`KB${7000000 + m - 1}`], restartRequired: 'yes', hotpatch: false });
    if (m % 3 !== 0) {
      kbs.push({ id: `KB${8000000 + m}`, month: null, title: null, products: product(95 + m * 10), cves: cves.slice(0, 40), supersedes: m % 3 === 2 ? [`KB${8000000 + m - 1}`] : [], restartRequired: 'no', hotpatch: true });
    }
  }
  return kbs;
}

const real = await fixtureCatalog();
measureUbuntu('real fixtures', real);
measureUbuntu('3,600 notices', { usns: enlarged(real.usns, 100) });
measureWindows('2025 MSRC documents', real, windowsHosts());
const behind: WindowsHost[] = Array.from({ length: HOSTS }, (_, h) => ({
  build: '10.0.26100',
  ubr: 50,
  installationType: h % 2 === 0 ? 'Client' : 'Server',
  arch: 'AMD64',
  hotfixes: [],
  hotpatchEnrolled: h % 3 === 0,
}));
measureWindows('hosts 120 months behind', { kbs: [...real.kbs, ...longChain(120)] }, behind);
