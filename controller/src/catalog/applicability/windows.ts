/**
 * Windows applicability: which KBs a host is missing, reduced to the ones
 * worth installing (the newest of each chain), each with every CVE it closes
 * on the host.
 */
import type { Catalog } from '../model';
import { type WindowsBuild, parseWindowsBuild, sameServicingBranch } from './windows-build';
import { type WindowsIndex, type WindowsKbForProduct, hotpatchBaseline, normalizeKbId, prepareWindowsIndex } from './windows-index';
import { productKey, windowsProductNames } from './windows-product';

/** What `assessWindows` needs to know about a host (agent facts `os.version`, `os.ubr`, `windows.*`). */
export interface WindowsHost {
  /** `10.0.26100` */
  build: string;
  /** Update build revision (`4946` in 26100.4946); null when unknown. */
  ubr: number | null;
  /** `Client`, `Server`, `Server Core`. */
  installationType: string | null;
  /** `AMD64`, `ARM64`, `x86`. */
  arch: string;
  /** Installed KB ids (`KB5063878`). */
  hotfixes: readonly string[];
  /** Enrolled in hotpatching: true, false, or null when the host cannot tell. */
  hotpatchEnrolled: boolean | null;
}

/** A KB the host should install. */
export interface WindowsFinding {
  /** `KB5072033` */
  id: string;
  title: string | null;
  /** `YYYY-MM` */
  month: string | null;
  hotpatch: boolean;
  restartRequired: 'yes' | 'no' | 'maybe' | null;
  /** The host's product as the KB lists it, and the build the KB brings it to. */
  product: string;
  fixedBuild: string | null;
  /** CVEs it closes on this host: its own and those of every missing KB it makes unnecessary, sorted. */
  cves: string[];
  /** Missing KBs it makes unnecessary (superseded, or below its build), sorted. */
  covers: string[];
}

/** Result of `assessWindows`. */
export interface WindowsAssessment {
  /** Candidate MSRC product names of the host; [] when its release is unknown (then nothing applies). */
  products: string[];
  /** Actionable KBs, newest first. */
  missing: WindowsFinding[];
  /**
   * KBs that apply and are installed: in the hotfix list, at or below the host's build, or superseded by one of those;
   * also a listed KB the catalog knows only through the supersedence of one of the host's KBs. Sorted.
   */
  installed: string[];
}

interface Candidate {
  entry: WindowsKbForProduct;
  id: string;
  hotpatch: boolean;
  /** Revision of the fixed build when it is on the host's servicing branch. */
  revision: number | null;
  /** For hotpatches: the host is not below the baseline the hotpatch needs (or that is unknown). */
  installable: boolean;
}

const indexes = new WeakMap<object, WindowsIndex>();

/**
 * The index of a catalog, built on first use and kept while the catalog object lives.
 * Catalogs are treated as immutable: after an import, pass the new catalog object.
 */
export function windowsIndexOf(catalog: Pick<Catalog, 'kbs'> | WindowsIndex): WindowsIndex {
  if ('kind' in catalog && catalog.kind === 'windows-index') return catalog;
  let index = indexes.get(catalog);
  if (index === undefined) {
    index = prepareWindowsIndex(catalog as Pick<Catalog, 'kbs'>);
    indexes.set(catalog, index);
  }
  return index;
}

/**
 * Assesses one Windows host against the catalog's KBs.
 *
 * - Applicable: the KB lists one of the host's products (`windowsProductNames`).
 *   Hotpatch KBs apply only to hosts enrolled in hotpatching (`true`, not `null`).
 * - Installed: in the hotfix list, or the host's revision is at least the KB's
 *   FixedBuild for its product on the same servicing branch, or superseded
 *   (transitively) by such a KB. The revision is the UBR, raised to the
 *   FixedBuild of any KB in the hotfix list (installed, reboot pending).
 * - Missing, actionable: not installed and not made unnecessary by another
 *   missing KB, either by supersedence (followed across the whole catalog,
 *   through KBs that do not apply to the host) or by a higher FixedBuild on the
 *   host's branch (installing it brings the host past the other's build, so
 *   the other reads as installed afterwards; at equal builds a KB in a chain
 *   covers one in none, as a monthly rollup covers its security-only twin).
 * - Hotpatches: for hosts not enrolled they are out of the graph entirely,
 *   so chains continue through the cumulative updates alone. For enrolled
 *   hosts only the newest missing hotpatch can be actionable, and only when
 *   the host is not below its baseline (`hotpatchBaseline`); it then stands
 *   beside the newest cumulative update (the two are alternatives; neither
 *   supersedes the other in MSRC's data) and covers the older hotpatches.
 *   Every other hotpatch is covered by a cumulative update with a higher build.
 */
export function assessWindows(host: WindowsHost, catalog: Pick<Catalog, 'kbs'> | WindowsIndex): WindowsAssessment {
  const index = windowsIndexOf(catalog);
  const facts = hostFactsOf(host);
  const hostBuild = facts.build === null ? null : { ...facts.build, revision: host.ubr ?? facts.build.revision };
  const candidates = candidatesOf(index, facts.productKeys, hostBuild, host.hotpatchEnrolled === true);
  // The work is split over small functions, each with plain loops rather than map/filter/sort
  // callbacks and spreads: the lists come from several producers (agent reports, files, tests)
  // in different array representations, and each new one met by an inlined array builtin threw
  // away the optimised code; one large function was also slow to optimise again each time.
  const hotfixes = hotfixIds(host.hotfixes);
  const { installed, hostRevision } = installedOf(index, candidates, hotfixes, hostBuild);
  const missing = new Map<string, Candidate>();
  for (const c of candidates.values()) if (!installed.has(c.id)) missing.set(c.id, c);
  if (hostBuild !== null && hostRevision !== null) markUninstallableHotpatches(index, missing, hostBuild, hostRevision);
  return { products: facts.products.slice(), missing: findingsOf(index, missing), installed: installedApplicableOf(index, candidates, hotfixes, installed) };
}

/** What a host's build, installation type and architecture give, computed once per combination. */
interface HostFacts {
  products: readonly string[];
  /** `productKey` of each product. */
  productKeys: readonly string[];
  /** The build as the host reports it (revision from the build text, not the UBR). */
  build: WindowsBuild | null;
}

/** Distinct (build, installation type, architecture) combinations kept: a fleet has a few dozen. */
const HOST_FACTS_KEPT = 1024;
const hostFacts = new Map<string, HostFacts>();

function hostFactsOf(host: WindowsHost): HostFacts {
  // Lengths keep the texts from running into each other.
  const type = host.installationType;
  const key = `${host.build.length} ${host.build} ${host.arch.length} ${host.arch} ${type === null ? '-' : `+${type}`}`;
  let facts = hostFacts.get(key);
  if (facts === undefined) {
    const products = windowsProductNames(host);
    const productKeys: string[] = [];
    for (const name of products) productKeys.push(productKey(name));
    facts = { products, productKeys, build: parseWindowsBuild(host.build) };
    if (hostFacts.size >= HOST_FACTS_KEPT) hostFacts.clear();
    hostFacts.set(key, facts);
  }
  return facts;
}

/** The KBs that apply to the host, by id, in product then catalog order. */
function candidatesOf(index: WindowsIndex, productKeys: readonly string[], hostBuild: WindowsBuild | null, hotpatchOk: boolean): Map<string, Candidate> {
  const candidates = new Map<string, Candidate>();
  for (const key of productKeys) {
    const entries = index.byProduct.get(key);
    if (entries === undefined) continue;
    for (const entry of entries) {
      const { node } = entry;
      if (candidates.has(node.id) || (node.kb.hotpatch && !hotpatchOk)) continue;
      const fixed = entry.fixedParsed;
      const onBranch = fixed !== null && fixed.revision !== null && hostBuild !== null && sameServicingBranch(fixed, hostBuild);
      candidates.set(node.id, { entry, id: node.id, hotpatch: node.kb.hotpatch, revision: onBranch ? fixed.revision : null, installable: true });
    }
  }
  return candidates;
}

/** The host's hotfix list normalized, each once. */
function hotfixIds(list: readonly string[]): Set<string> {
  const hotfixes = new Set<string>();
  // Through a Set (its constructor takes any array representation without an inlined loop):
  // a loop over the caller's array deoptimised this function, and those it is inlined into,
  // each time a list in another representation arrived.
  for (const h of new Set(list)) {
    const id = normalizeKbId(h);
    if (id !== null) hotfixes.add(id);
  }
  return hotfixes;
}

/**
 * Installed directly, then everything those supersede; and the revision the host is at. A KB
 * already marked through a newer one needs no walk of its own: what it supersedes, the newer
 * one supersedes too.
 */
function installedOf(index: WindowsIndex, candidates: ReadonlyMap<string, Candidate>, hotfixes: ReadonlySet<string>, hostBuild: WindowsBuild | null): { installed: Set<string>; hostRevision: number | null } {
  const installed = new Set<string>();
  for (const id of hotfixes) markInstalled(index, installed, id);
  // A listed KB brings the host to its build even before the reboot that updates the UBR.
  let hostRevision = hostBuild?.revision ?? null;
  for (const id of hotfixes) {
    const revision = candidates.get(id)?.revision ?? null;
    if (revision !== null && (hostRevision === null || revision > hostRevision)) hostRevision = revision;
  }
  if (hostRevision !== null) {
    // At or below the host's build: newest first, so older ones are mostly marked through it already.
    const byBuild: Candidate[] = [];
    for (const c of candidates.values()) if (c.revision !== null && hostRevision >= c.revision) byBuild.push(c);
    if (byBuild.length > 1) byBuild.sort((a, b) => b.revision! - a.revision!);
    for (const c of byBuild) markInstalled(index, installed, c.id);
  }
  return { installed, hostRevision };
}

function markInstalled(index: WindowsIndex, installed: Set<string>, id: string): void {
  if (installed.has(id)) return;
  installed.add(id);
  const node = index.byId.get(id);
  if (node !== undefined) for (const older of node.supersedesAll) installed.add(older);
}

/** Hotpatches the host cannot install yet: it is below the baseline they need. */
function markUninstallableHotpatches(index: WindowsIndex, missing: ReadonlyMap<string, Candidate>, hostBuild: WindowsBuild, hostRevision: number): void {
  for (const c of missing.values()) {
    if (!c.hotpatch) continue;
    const baseline = hotpatchBaseline(index, c.entry.product, c.id);
    if (baseline !== null && baseline.revision !== null && sameServicingBranch(baseline, hostBuild) && hostRevision < baseline.revision) c.installable = false;
  }
}

/** The actionable KBs among the missing ones, each with what it covers, newest first. */
function findingsOf(index: WindowsIndex, missing: ReadonlyMap<string, Candidate>): WindowsFinding[] {
  const graph = new CoverageGraph(index, missing);
  const heads: Candidate[] = [];
  for (const k of missing.values()) if (!graph.isCovered(k)) heads.push(k);
  const reaches = new Map<Candidate, Set<Candidate>>();
  // Contradictory data (two KBs each superseding the other through a build) must not hide both.
  const reached = new Set<Candidate>(heads);
  for (const h of heads) {
    const below = graph.reach(h);
    reaches.set(h, below);
    for (const c of below) reached.add(c);
  }
  for (const c of missing.values()) {
    if (reached.has(c)) continue;
    heads.push(c);
    const below = graph.reach(c);
    reaches.set(c, below);
    for (const b of below) reached.add(b);
  }

  const findings: WindowsFinding[] = [];
  for (const head of heads) {
    const below = reaches.get(head)!;
    const { kb } = head.entry.node;
    const covers: string[] = [];
    for (const c of below) covers.push(c.id);
    findings.push({
      id: head.id,
      title: kb.title,
      month: kb.month,
      hotpatch: kb.hotpatch,
      restartRequired: kb.restartRequired,
      product: head.entry.product,
      fixedBuild: head.entry.fixedBuild,
      cves: cveUnion(index, head, below),
      covers: sortedKbIds(covers),
    });
  }
  if (findings.length > 1) findings.sort((a, b) => ((b.month ?? '') < (a.month ?? '') ? -1 : (b.month ?? '') > (a.month ?? '') ? 1 : compareKbIds(b.id, a.id)));
  return findings;
}

/**
 * KBs that apply and are installed, sorted. A listed KB the catalog knows only as superseded by
 * one of the host's KBs (its own month's document not imported) is still installed and applies:
 * say so rather than drop it.
 */
function installedApplicableOf(index: WindowsIndex, candidates: ReadonlyMap<string, Candidate>, hotfixes: ReadonlySet<string>, installed: ReadonlySet<string>): string[] {
  const ids: string[] = [];
  for (const id of candidates.keys()) if (installed.has(id)) ids.push(id);
  for (const id of hotfixes) {
    if (candidates.has(id) || index.byId.has(id)) continue;
    for (const c of candidates.values()) {
      if (!c.entry.node.supersedesAll.has(id)) continue;
      ids.push(id);
      break;
    }
  }
  return sortedKbIds(ids);
}

/**
 * Which missing KBs make which others unnecessary; see `assessWindows` for the rules.
 * A class rather than closures: nothing is made per host but the object itself.
 */
class CoverageGraph {
  /** Only the newest hotpatch can be the one to install, and only on its baseline. */
  private readonly protectedHotpatch: Candidate | null;
  /** Builds are compared through maxima, so no pair of KBs is ever examined. */
  private readonly topStandard: number;
  private readonly chainedStandardRevisions = new Set<number>();

  constructor(
    private readonly index: WindowsIndex,
    private readonly missing: ReadonlyMap<string, Candidate>,
  ) {
    // Older hotpatches belong to the newest one's chain or to past quarters, and cumulative
    // updates above them cover them.
    let current: Candidate | null = null;
    for (const c of missing.values()) if (c.hotpatch && c.revision !== null && (current === null || c.revision > current.revision!)) current = c;
    this.protectedHotpatch = current !== null && current.installable ? current : null;
    let topStandard = -1;
    for (const c of missing.values()) {
      if (c.hotpatch || c.revision === null) continue;
      if (c.revision > topStandard) topStandard = c.revision;
      if (c.entry.node.kb.supersedes.length > 0) this.chainedStandardRevisions.add(c.revision);
    }
    this.topStandard = topStandard;
  }

  isCovered(k: Candidate): boolean {
    return this.coveredByBuild(k) || this.coveredExplicitly(k);
  }

  /** Every missing KB `head` makes unnecessary, directly or through others. */
  reach(head: Candidate): Set<Candidate> {
    const below = new Set<Candidate>();
    for (const k of this.missing.values()) {
      if (explicitly(head, k)) below.add(k);
      else if (this.byBuild(head, k)) {
        below.add(k);
        // What a KB below by build supersedes is below too, builds or not.
        for (const id of k.entry.node.supersedesAll) {
          const older = this.missing.get(id);
          if (older !== undefined && older !== head) below.add(older);
        }
      }
    }
    return below;
  }

  private byBuild(j: Candidate, k: Candidate): boolean {
    if (j === k || j.revision === null || k.revision === null || j.revision < k.revision) return false;
    if (j.hotpatch ? j !== this.protectedHotpatch || !k.hotpatch : k === this.protectedHotpatch) return false;
    // Same build: a monthly rollup (in a chain) covers the security-only update of its month (in none).
    return j.revision > k.revision || (inChain(j) && !inChain(k) && j.hotpatch === k.hotpatch);
  }

  private coveredExplicitly(k: Candidate): boolean {
    // Up the supersedence edges, through KBs that do not apply to the host, to the first missing one.
    const seen = new Set<string>();
    const queue = k.entry.node.supersededBy.slice();
    while (queue.length > 0) {
      const id = queue.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const j = this.missing.get(id);
      if (j !== undefined && explicitly(j, k)) return true;
      const node = this.index.byId.get(id);
      if (node !== undefined) for (const next of node.supersededBy) queue.push(next);
    }
    return false;
  }

  private coveredByBuild(k: Candidate): boolean {
    if (k.revision === null) return false;
    const protectedHotpatch = this.protectedHotpatch;
    if (k === protectedHotpatch) return false;
    if (k.hotpatch && protectedHotpatch !== null && this.byBuild(protectedHotpatch, k)) return true;
    if (this.topStandard > k.revision) return true;
    return !k.hotpatch && !inChain(k) && this.chainedStandardRevisions.has(k.revision);
  }
}

function inChain(c: Candidate): boolean {
  return c.entry.node.kb.supersedes.length > 0;
}

function explicitly(j: Candidate, k: Candidate): boolean {
  return j !== k && j.entry.node.supersedesAll.has(k.id) && !k.entry.node.supersedesAll.has(j.id);
}

/** The CVEs of the given KBs, de-duplicated and sorted, without a Set or a string sort per host. */
function cveUnion(index: WindowsIndex, head: Candidate, below: ReadonlySet<Candidate>): string[] {
  const scratch = index.scratch;
  // Stamps wrap after 2^32 unions: clear them then rather than mistake an old stamp for a new one.
  if (scratch.generation === 0xffffffff) {
    scratch.cveStamps.fill(0);
    scratch.generation = 0;
  }
  const generation = ++scratch.generation;
  const stamps = scratch.cveStamps;
  const ranks = scratch.cveRanks;
  let count = 0;
  for (const rank of head.entry.node.cveRanks) {
    if (stamps[rank] === generation) continue;
    stamps[rank] = generation;
    ranks[count++] = rank;
  }
  for (const c of below) {
    for (const rank of c.entry.node.cveRanks) {
      if (stamps[rank] === generation) continue;
      stamps[rank] = generation;
      ranks[count++] = rank;
    }
  }
  const sorted = ranks.subarray(0, count).sort();
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(index.cveIds[sorted[i]!]!);
  return ids;
}

/** KB ids in number order, each id's number read once. */
function sortedKbIds(ids: readonly string[]): string[] {
  const keyed: { id: string; n: number }[] = [];
  for (const id of ids) keyed.push({ id, n: Number(id.slice(2)) });
  if (keyed.length > 1) keyed.sort((a, b) => a.n - b.n || a.id.localeCompare(b.id));
  const sorted: string[] = [];
  for (const e of keyed) sorted.push(e.id);
  return sorted;
}

/** Orders KB ids by number. */
export function compareKbIds(a: string, b: string): number {
  return Number(a.replace(/^KB/i, '')) - Number(b.replace(/^KB/i, '')) || a.localeCompare(b);
}
