/**
 * The Windows side of the catalog arranged for per-host work: KBs by product,
 * fixed builds parsed, and the transitive supersedence of every KB, built
 * once per catalog.
 */
import { compareCveIds } from '../feeds/formats';
import type { Catalog, WindowsKb } from '../model';
import { type WindowsBuild, parseWindowsBuild, sameServicingBranch } from './windows-build';
import { productKey } from './windows-product';

/** A KB of the catalog with what assessment needs precomputed. */
export interface WindowsKbNode {
  /** `KB5072033` (normalized: upper case, `KB` prefix). */
  id: string;
  kb: WindowsKb;
  /** Every KB it supersedes, directly or through others, across the whole catalog (ids outside the catalog included). */
  supersedesAll: ReadonlySet<string>;
  /** KBs of the catalog that name this one in `supersedes` (one step). */
  supersededBy: readonly string[];
  /** Its CVEs as positions in `WindowsIndex.cveIds`. */
  cveRanks: Int32Array;
}

/** One product a KB lists, with its fixed build parsed. */
export interface WindowsKbForProduct {
  node: WindowsKbNode;
  /** Product name as MSRC writes it. */
  product: string;
  fixedBuild: string | null;
  /** Null when the fixed build is not a Windows build (`1.000`, a URL). */
  fixedParsed: WindowsBuild | null;
}

/** Per-catalog index of Windows KBs; see `prepareWindowsIndex`. */
export interface WindowsIndex {
  readonly kind: 'windows-index';
  readonly byId: ReadonlyMap<string, WindowsKbNode>;
  /** `productKey(name)` -> the KBs listing that product. */
  readonly byProduct: ReadonlyMap<string, readonly WindowsKbForProduct[]>;
  /** Memo of `hotpatchBaseline`, keyed by product key and KB id. */
  readonly baselines: Map<string, WindowsBuild | null>;
  /** Every CVE of the KBs, sorted (`compareCveIds`): a CVE's position is its rank, so unions sort as numbers. */
  readonly cveIds: readonly string[];
  /**
   * Reusable per-host stamps over `cveIds` for de-duplicating unions without a Set per host, and room for the ranks of one union.
   * Assessment is synchronous, so one scratch per index is never shared by two hosts at once.
   */
  readonly scratch: { generation: number; cveStamps: Uint32Array; cveRanks: Int32Array };
}

/** `KB5072033`, `kb5072033` and `5072033` -> `KB5072033`; null for anything else. */
export function normalizeKbId(id: string): string | null {
  const m = /^(?:KB)?(\d+)$/i.exec(id.trim());
  return m === null ? null : `KB${m[1]}`;
}

function union<T>(into: T[], values: readonly T[]): void {
  for (const v of values) if (!into.includes(v)) into.push(v);
}

/** One KB per id: the catalog should already merge months, but a KB listed twice is merged rather than half-lost. */
function mergedKbs(kbs: readonly WindowsKb[]): Map<string, WindowsKb> {
  const byId = new Map<string, WindowsKb>();
  for (const kb of kbs) {
    const id = normalizeKbId(kb.id);
    if (id === null) continue;
    const known = byId.get(id);
    if (known === undefined) {
      byId.set(id, kb);
      continue;
    }
    const merged: WindowsKb = {
      ...known,
      month: known.month === null ? kb.month : kb.month === null || known.month <= kb.month ? known.month : kb.month,
      title: known.title ?? kb.title,
      products: [...known.products],
      cves: [...known.cves],
      supersedes: [...known.supersedes],
      hotpatch: known.hotpatch || kb.hotpatch,
    };
    for (const p of kb.products) if (!merged.products.some((q) => q.productId === p.productId && q.name === p.name)) merged.products.push(p);
    union(merged.cves, kb.cves);
    union(merged.supersedes, kb.supersedes);
    byId.set(id, merged);
  }
  return byId;
}

/** Every KB reachable through `supersedes`, breadth first; cycles in the data end the walk instead of looping. */
function supersededClosure(start: string, direct: ReadonlyMap<string, readonly string[]>): Set<string> {
  const seen = new Set<string>();
  const queue = [...(direct.get(start) ?? [])];
  while (queue.length > 0) {
    const id = queue.pop()!;
    if (id === start || seen.has(id)) continue;
    seen.add(id);
    for (const next of direct.get(id) ?? []) if (!seen.has(next)) queue.push(next);
  }
  return seen;
}

/** Builds the Windows index of a catalog. */
export function prepareWindowsIndex(catalog: Pick<Catalog, 'kbs'>): WindowsIndex {
  const kbs = mergedKbs(catalog.kbs);
  const direct = new Map<string, string[]>();
  for (const [id, kb] of kbs) {
    direct.set(id, kb.supersedes.map(normalizeKbId).filter((s): s is string => s !== null && s !== id));
  }
  const supersededBy = new Map<string, string[]>();
  for (const [id, older] of direct) for (const o of older) supersededBy.set(o, [...(supersededBy.get(o) ?? []), id]);
  const cveIds = [...new Set([...kbs.values()].flatMap((kb) => kb.cves))].sort(compareCveIds);
  const cveRank = new Map(cveIds.map((cve, i) => [cve, i]));
  const byId = new Map<string, WindowsKbNode>();
  const byProduct = new Map<string, WindowsKbForProduct[]>();
  for (const [id, kb] of kbs) {
    const node: WindowsKbNode = {
      id,
      kb,
      supersedesAll: supersededClosure(id, direct),
      supersededBy: supersededBy.get(id) ?? [],
      cveRanks: Int32Array.from(new Set(kb.cves), (cve) => cveRank.get(cve)!),
    };
    byId.set(id, node);
    const seenProducts = new Set<string>();
    for (const product of kb.products) {
      const key = productKey(product.name);
      // A product named twice (two product ids) keeps the first entry that has a build.
      if (seenProducts.has(key) && product.fixedBuild === null) continue;
      const entry: WindowsKbForProduct = { node, product: product.name, fixedBuild: product.fixedBuild, fixedParsed: product.fixedBuild === null ? null : parseWindowsBuild(product.fixedBuild) };
      let list = byProduct.get(key);
      if (list === undefined) byProduct.set(key, (list = []));
      const at = list.findIndex((e) => e.node === node);
      if (at >= 0) {
        if (list[at]!.fixedParsed === null) list[at] = entry;
      } else {
        list.push(entry);
      }
      seenProducts.add(key);
    }
  }
  return { kind: 'windows-index', byId, byProduct, baselines: new Map(), cveIds, scratch: { generation: 0, cveStamps: new Uint32Array(cveIds.length), cveRanks: new Int32Array(cveIds.length) } };
}

/**
 * The build a host must run before a hotpatch can be installed on it, or null
 * when the catalog cannot tell.
 *
 * Hotpatches ride on a quarterly baseline cumulative update; their chains of
 * supersedence restart after each baseline (KB5068966, the first hotpatch
 * after the October 2025 baseline, supersedes nothing; KB5072014 supersedes
 * it). So when every link of the hotpatch's chain is in the catalog and the
 * chain starts from nothing, the baseline is the newest non-hotpatch update
 * for the product below the chain's first build. When a link points to a
 * non-hotpatch KB, that KB is the baseline. When a link leaves the catalog
 * the answer is null and the hotpatch is taken as installable.
 */
export function hotpatchBaseline(index: WindowsIndex, productName: string, hotpatchId: string): WindowsBuild | null {
  const key = productKey(productName);
  const memoKey = `${key}\u0000${hotpatchId}`;
  const memo = index.baselines.get(memoKey);
  if (memo !== undefined) return memo;
  const result = computeBaseline(index, key, hotpatchId);
  index.baselines.set(memoKey, result);
  return result;
}

function computeBaseline(index: WindowsIndex, key: string, hotpatchId: string): WindowsBuild | null {
  const entries = index.byProduct.get(key) ?? [];
  const revisionOf = (id: string, branchOf: WindowsBuild): number | null => {
    const b = entries.find((e) => e.node.id === id)?.fixedParsed ?? null;
    return b !== null && b.revision !== null && sameServicingBranch(b, branchOf) ? b.revision : null;
  };
  const start = index.byId.get(hotpatchId);
  const own = entries.find((e) => e.node.id === hotpatchId)?.fixedParsed ?? null;
  if (start === undefined || own === null || own.revision === null) return null;

  let first = own.revision;
  let explicit: number | null = null;
  let leavesCatalog = false;
  for (const id of [hotpatchId, ...start.supersedesAll]) {
    const node = index.byId.get(id);
    if (node === undefined) continue;
    const revision = revisionOf(id, own);
    if (!node.kb.hotpatch) {
      // A hotpatch chain that names the cumulative update it builds on.
      if (revision !== null && (explicit === null || revision > explicit)) explicit = revision;
      continue;
    }
    if (node.kb.supersedes.some((s) => !index.byId.has(normalizeKbId(s) ?? s))) leavesCatalog = true;
    if (revision !== null && revision < first) first = revision;
  }
  if (explicit !== null) return { ...own, revision: explicit };
  if (leavesCatalog) return null;
  let baseline: number | null = null;
  for (const e of entries) {
    const b = e.fixedParsed;
    if (e.node.kb.hotpatch || b === null || b.revision === null || !sameServicingBranch(b, own)) continue;
    if (b.revision < first && (baseline === null || b.revision > baseline)) baseline = b.revision;
  }
  return baseline === null ? null : { ...own, revision: baseline };
}
