/**
 * Windows KBs merged over every MSRC document that lists them.
 *
 * MSRC lists a KB in the month it ships and again in later months whenever a
 * CVE it fixes is disclosed or revised late (October's KB5066835 is in the
 * November and December documents under three CVEs). One KB is one
 * `WindowsKb`:
 *
 * - `month`: the earliest document in which the KB is *native*, i.e. not
 *   merely carried along by late CVEs. A listing is carried along when a KB
 *   superseding it is already out: the same document says so
 *   (`KbEntry.supersededBy`), or any loaded document names a superseding KB
 *   that is listed in this month or earlier, or every CVE it is listed for
 *   is also fixed by other KBs of the document that are all carried along
 *   (KB5066837, Windows 10 1507, whose successor is not in the data: it only
 *   travels with October KBs). When every listing is carried along
 *   (KB5066835 without the October document) the month is unknown: null,
 *   rather than the month of a later document.
 * - `cves`, products and `supersedes`: the union over all documents.
 * - `fixedBuild` per product: the highest build any document gives. A KB is
 *   one binary, so its build is one fact and different values are data
 *   errors. `kbIndex` resolves them within a document the same way, and the
 *   data shows why "newest document wins" is wrong: for KB5068781 the
 *   December document (one late CVE) gives the Windows 10 21H2 products
 *   build 10.0.19043.6575, a 21H1 number, while November (32 CVEs, and its
 *   product tree CPE) gives 10.0.19044.6575. The higher build is also the
 *   cautious choice: a host is never judged patched by a build too low.
 * - product names: from the newest document naming the product.
 * - `restartRequired`: the strongest stated (yes > maybe > no); `hotpatch`:
 *   any listing says hotpatch.
 */
import { compareBuilds, type RestartRequired } from './feeds/index';
import { compareCveIds } from './feeds/formats';
import type { KbProduct, WindowsKb } from './model';
import { sortDigests, type CvrfDigest, type DigestKb } from './msrc-digest';

const RESTART_RANK: Record<RestartRequired, number> = { no: 0, maybe: 1, yes: 2 };

interface Listing {
  digest: CvrfDigest;
  entry: DigestKb;
}

/** Orders product ids (`10729` < `12390`) numerically when they are numbers. */
export function compareProductIds(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

function byNumber(a: string, b: string): number {
  return Number(a) - Number(b) || a.localeCompare(b);
}

/** A readable label; CVRF gives no KB titles. e.g. `2025-12 Security Update (KB5072033)`. */
function kbTitle(id: string, month: string | null, subType: string | undefined): string {
  const label = [month, subType].filter((part) => part !== null && part !== undefined && part !== '').join(' ');
  return label === '' ? id : `${label} (${id})`;
}

/** Earliest month each KB is listed in at all (any listing), for the cross-document supersedence check. */
function firstListedMonths(listings: Map<string, Listing[]>): Map<string, string> {
  const months = new Map<string, string>();
  for (const [kb, list] of listings) {
    for (const { digest } of list) {
      const known = months.get(kb);
      if (digest.month !== null && (known === undefined || digest.month < known)) months.set(kb, digest.month);
    }
  }
  return months;
}

/** Carried along by supersedence: a newer KB is already out by this document's month. */
function supersededByThen(listing: Listing, supersededBy: Set<string> | undefined, firstMonths: Map<string, string>): boolean {
  if (listing.entry.supersededBy.length > 0) return true;
  const month = listing.digest.month;
  if (month === null || supersededBy === undefined) return false;
  for (const newer of supersededBy) {
    const out = firstMonths.get(newer);
    if (out !== undefined && out <= month) return true;
  }
  return false;
}

/**
 * The listings of one document that are carried along: superseded by then,
 * or listed only for CVEs whose other KBs are all superseded by then.
 */
function carriedAlongIn(listings: Listing[], supersededBy: Map<string, Set<string>>, firstMonths: Map<string, string>): Set<string> {
  const superseded = new Set(listings.filter((l) => supersededByThen(l, supersededBy.get(l.entry.kb), firstMonths)).map((l) => l.entry.kb));
  const kbsOfCve = new Map<string, string[]>();
  for (const { entry } of listings) for (const cve of entry.cves) kbsOfCve.set(cve, [...(kbsOfCve.get(cve) ?? []), entry.kb]);
  const carried = new Set(superseded);
  for (const { entry } of listings) {
    if (superseded.has(entry.kb)) continue;
    const companions = entry.cves.map((cve) => (kbsOfCve.get(cve) ?? []).filter((kb) => kb !== entry.kb));
    if (companions.every((others) => others.length > 0 && others.every((kb) => superseded.has(kb)))) carried.add(entry.kb);
  }
  return carried;
}

function mergeProducts(list: Listing[]): KbProduct[] {
  const products = new Map<string, KbProduct>();
  for (const { digest, entry } of list) {
    for (const productId of entry.productIds) {
      const name = digest.products[productId] ?? `MSRC product ${productId}`;
      const build = entry.fixedBuildByProduct[productId] ?? null;
      const known = products.get(productId);
      if (known === undefined) {
        products.set(productId, { productId, name, fixedBuild: build });
        continue;
      }
      known.name = name; // digests come oldest first: the newest name wins
      if (build !== null && (known.fixedBuild === null || compareBuilds(build, known.fixedBuild) > 0)) known.fixedBuild = build;
    }
  }
  return [...products.values()].sort((a, b) => compareProductIds(a.productId, b.productId));
}

function mergeOne(kb: string, list: Listing[], month: string | null, home: Listing | undefined): WindowsKb {
  const cves = new Set<string>();
  const supersedes = new Set<string>();
  let restart: RestartRequired | null = null;
  let hotpatch = false;
  for (const { entry } of list) {
    entry.cves.forEach((c) => cves.add(c));
    entry.supersedes.forEach((s) => supersedes.add(s));
    if (entry.restartRequired !== null && (restart === null || RESTART_RANK[entry.restartRequired] > RESTART_RANK[restart])) restart = entry.restartRequired;
    hotpatch ||= entry.hotpatch;
  }
  const id = `KB${kb}`;
  const subType = (home ?? list.find((l) => l.entry.subTypes.length > 0))?.entry.subTypes[0];
  return {
    id,
    month,
    title: kbTitle(id, month, subType),
    products: mergeProducts(list),
    cves: [...cves].sort(compareCveIds),
    supersedes: [...supersedes].sort(byNumber).map((s) => `KB${s}`),
    restartRequired: restart,
    hotpatch,
  };
}

/** Merges the KBs of all digests (any order; one digest per document) into one WindowsKb per KB, sorted by number. */
export function mergeKbs(digests: CvrfDigest[]): WindowsKb[] {
  const listings = new Map<string, Listing[]>();
  const supersededBy = new Map<string, Set<string>>();
  for (const digest of sortDigests(digests)) {
    for (const entry of digest.kbs) {
      const list = listings.get(entry.kb) ?? [];
      list.push({ digest, entry });
      listings.set(entry.kb, list);
      for (const older of entry.supersedes) {
        const set = supersededBy.get(older) ?? new Set<string>();
        set.add(entry.kb);
        supersededBy.set(older, set);
      }
    }
  }
  const firstMonths = firstListedMonths(listings);
  const carried = new Map<CvrfDigest, Set<string>>();
  for (const digest of digests) {
    carried.set(digest, carriedAlongIn(digest.kbs.map((entry) => ({ digest, entry })), supersededBy, firstMonths));
  }
  const kbs: WindowsKb[] = [];
  for (const [kb, list] of listings) {
    const home = list.find((l) => carried.get(l.digest)?.has(kb) !== true);
    kbs.push(mergeOne(kb, list, home?.digest.month ?? null, home));
  }
  return kbs.sort((a, b) => byNumber(a.id.slice(2), b.id.slice(2)));
}
