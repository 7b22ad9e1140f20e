/**
 * Proves a catalog setup against the controller's own code, without a
 * database: every file is read by the controller's feed parsers, the
 * catalog is built as an import builds it (catalogFromFeeds), and every
 * class's inventory is assessed by the controller's assessment (assessHost),
 * before the first import, after each one, and with each patch installed. A
 * setup passes when each class misses exactly the released patches the
 * scenario applies to it (bundled ones from the start: they are real and
 * older than the run), each install removes exactly its patch, and each
 * synthetic patch's CVE carries the scenario's CVSS, EPSS and KEV. Anything
 * else is PF_ERR_SCENARIO_INVALID listing what the controller would see
 * instead (a real KB covered by a newer one, another real advisory missing
 * too), before a run is wasted on it.
 */
import { Readable } from 'node:stream';
import { Errors, PfError } from '@patchfleet/shared/errors';
import { assessHost, hostInputFromInventory, prepareCatalog, type PreparedCatalog } from '@patchfleet/controller/src/assess/assess-host';
import { catalogFromFeeds, type CatalogFeedsInput } from '@patchfleet/controller/src/catalog/build';
import { collectEpssRows, parseCvrf, parseEpssStream, parseKev, parseUsnOsv, type CvrfDocument, type EpssRow, type KevCatalog, type UsnRecord } from '@patchfleet/controller/src/catalog/feeds/index';
import type { Catalog } from '@patchfleet/controller/src/catalog/model';
import { hostRiskContext } from '@patchfleet/controller/src/scoring/host-risk';
import type { CatalogSetup, ClassSetup, ImportBatch } from './catalog-setup';
import { inventoryReport, type InstalledPatches } from './inventory';

/** One import's files as the controller's parsers read them. */
export interface ParsedBatch {
  usn: UsnRecord[];
  cvrf: CvrfDocument[];
  kev?: KevCatalog;
  epss: { rows: EpssRow[]; scoreDate: string }[];
}

/** Parses a batch's files with the controller's parsers (PF_ERR_FEED_PARSE names the file on a bad one). */
export async function parseBatch(batch: ImportBatch): Promise<ParsedBatch> {
  const out: ParsedBatch = { usn: [], cvrf: [], epss: [] };
  for (const f of batch.files) {
    if (f.field === 'usnOsv') out.usn.push(parseUsnOsv(JSON.parse(f.content), f.name));
    else if (f.field === 'msrcCvrf') out.cvrf.push(parseCvrf(f.content, f.name));
    else if (f.field === 'kev') out.kev = parseKev(JSON.parse(f.content), f.name);
    else {
      const feed = await parseEpssStream(Readable.from([Buffer.from(f.content)]), f.name);
      out.epss.push({ rows: await collectEpssRows(feed), scoreDate: feed.scoreDate });
    }
  }
  return out;
}

/** The catalog the controller holds after the bundled feeds and then `batches`, in order. */
export function catalogAfter(bundled: CatalogFeedsInput | undefined, batches: readonly ParsedBatch[]): Catalog {
  const usn = [...(bundled?.usn ?? []), ...batches.flatMap((b) => b.usn)];
  const cvrf = [...(bundled?.cvrf ?? []), ...batches.flatMap((b) => b.cvrf)];
  // A KEV import replaces the list; EPSS rows are kept per CVE (the newest score wins).
  const kev = [...batches].reverse().find((b) => b.kev !== undefined)?.kev ?? bundled?.kev;
  const epss = new Map<string, EpssRow>();
  let scoreDate = bundled?.epss?.scoreDate;
  for (const row of bundled?.epss?.rows ?? []) epss.set(row.cve, row);
  for (const file of batches.flatMap((b) => b.epss)) {
    for (const row of file.rows) epss.set(row.cve, row);
    scoreDate = file.scoreDate;
  }
  return catalogFromFeeds({ usn, cvrf, ...(kev ? { kev } : {}), ...(scoreDate ? { epss: { rows: [...epss.values()], scoreDate } } : {}) });
}

/** The patch ids the controller would list as missing on a host of `cls` holding `installed`. */
export function missingOn(setup: CatalogSetup, cls: ClassSetup, prepared: PreparedCatalog, installed: InstalledPatches, now: number): string[] {
  const inv = inventoryReport(setup, cls.name, { index: 1, hostname: 'check-1', serial: 'CHECK-1' }, { now, bootId: 'boot-check', bootTime: now - 3_600_000 }, installed);
  const input = hostInputFromInventory(inv.host as never, inv.packages);
  const result = assessHost(input, prepared, { now, risk: hostRiskContext(cls.labels) });
  return result.missing.map((m) => m.id).sort();
}

/** Why a real KB reads as installed on a class: a KB the class holds supersedes it (directly or through others). */
function supersededHint(catalog: Catalog, cls: ClassSetup, kbId: string): string[] {
  const byId = new Map(catalog.kbs.map((k) => [k.id, k]));
  const covers = (holder: string): boolean => {
    const seen = new Set<string>();
    const queue = [...(byId.get(holder)?.supersedes ?? [])];
    while (queue.length > 0) {
      const id = queue.pop()!;
      if (id === kbId) return true;
      if (seen.has(id)) continue;
      seen.add(id);
      queue.push(...(byId.get(id)?.supersedes ?? []));
    }
    return false;
  };
  const by = cls.preinstalledKbs.filter(covers);
  return by.length === 0 ? [] : [`${kbId} is superseded in the catalog by ${by.join(', ')}, which the class holds because the scenario does not apply it`];
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

/**
 * Checks `setup` as described in the file comment; resolves with the number
 * of assessments made, throws PF_ERR_SCENARIO_INVALID with every mismatch.
 */
export async function checkCatalogSetup(setup: CatalogSetup, bundled?: CatalogFeedsInput): Promise<{ assessments: number }> {
  const problems: { field: string; message: string }[] = [];
  const parsed: ParsedBatch[] = [];
  let assessments = 0;
  const none: InstalledPatches = new Map();
  const applies = (cls: ClassSetup) => setup.patches.filter((p) => p.appliesTo.includes(cls.name));

  // One message per class is enough: a wrong class is wrong after every import alike.
  const reported = new Set<string>();
  const compare = (prepared: PreparedCatalog, at: number, label: string) => {
    for (const cls of setup.classes) {
      const expected = applies(cls)
        .filter((p) => p.source === 'bundled' || p.releasedAt <= at)
        .map((p) => p.id);
      const got = missingOn(setup, cls, prepared, none, at);
      assessments += 1;
      if (sameSet(got, expected) || reported.has(cls.name)) continue;
      reported.add(cls.name);
      const why = expected.filter((id) => !got.includes(id)).flatMap((id) => supersededHint(prepared.catalog, cls, id));
      problems.push({ field: `classes.${cls.name}`, message: `${label}: the controller would list [${got.join(', ')}] as missing, the scenario applies [${expected.join(', ')}]${why.length > 0 ? ` (${why.join('; ')})` : ''}` });
    }
  };

  compare(prepareCatalog(catalogAfter(bundled, [])), setup.start - 1, 'before the first import');
  for (const batch of setup.imports) {
    parsed.push(await parseBatch(batch));
    compare(prepareCatalog(catalogAfter(bundled, parsed)), batch.at, `after the import of day ${batch.day}`);
  }

  const final = catalogAfter(bundled, parsed);
  const prepared = prepareCatalog(final);
  const end = Math.max(setup.start, ...setup.imports.map((b) => b.at));
  for (const cls of setup.classes) {
    const mine = applies(cls).map((p) => p.id);
    for (const id of mine) {
      const got = missingOn(setup, cls, prepared, new Map([[id, end]]), end);
      assessments += 1;
      const expected = mine.filter((x) => x !== id);
      if (!sameSet(got, expected)) problems.push({ field: `classes.${cls.name}`, message: `with ${id} installed the controller would list [${got.join(', ')}] as missing, expected [${expected.join(', ')}]` });
    }
  }

  for (const p of setup.patches.filter((x) => x.source === 'synthetic')) {
    const cve = final.cves.get(p.cves[0] ?? '');
    const seen = cve === undefined ? 'no CVE' : `cvss ${cve.cvssScore}, epss ${cve.epss?.score ?? null}, kev ${cve.kev !== null}`;
    if (cve === undefined || cve.cvssScore !== p.priority.cvss || (cve.epss?.score ?? null) !== p.priority.epss || (cve.kev !== null) !== p.priority.kev) {
      problems.push({ field: `patches.${p.id}`, message: `the catalog gives ${p.cves[0]} ${seen}; the scenario says cvss ${p.priority.cvss}, epss ${p.priority.epss}, kev ${p.priority.kev}` });
    }
  }
  if (problems.length > 0) {
    throw new PfError(Errors.SCENARIO_INVALID, `${setup.scenario}: ${problems.map((x) => `${x.field}: ${x.message}`).join('; ')}`, { source: setup.scenario, problems });
  }
  return { assessments };
}
