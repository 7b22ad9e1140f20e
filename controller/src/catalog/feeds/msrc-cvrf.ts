/**
 * Microsoft security update documents: CVRF 1.1 XML as served by the MSRC
 * CVRF API v3 (`/cvrf/v3.0/cvrf/2025-Nov`), one document per month.
 *
 * Structural problems (not XML, no document id, a vulnerability without CVE,
 * a score that is not a number) throw PF_ERR_FEED_PARSE. Oddities in single
 * values (an unknown RestartRequired word, a product id missing from the tree)
 * become `warnings` so one strange remediation does not block a month of KBs.
 */
import { readFile } from 'node:fs/promises';
import { feedIoError, feedParseError } from './feed-errors';
import { isTimestamp } from './formats';
import { parseRevisions, parseVulnerability } from './msrc-vulnerability';
import {
  type CvrfContext,
  type XmlNode,
  createCvrfXmlParser,
  xmlAttr,
  xmlChild,
  xmlChildren,
  xmlFail,
  xmlOwnText,
  xmlRequiredChild,
  xmlRequiredText,
  xmlText,
  xmlWarn,
} from './msrc-xml';
import type { CvrfDocument, CvrfProduct } from './types';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `2025-Nov` -> `2025-11`; null for ids of another shape. */
export function cvrfMonth(id: string): string | null {
  const m = /^(\d{4})-([A-Z][a-z]{2})$/.exec(id);
  const month = m === null ? -1 : MONTHS.indexOf(m[2] ?? '');
  return m === null || month < 0 ? null : `${m[1]}-${String(month + 1).padStart(2, '0')}`;
}

/** Collects FullProductName entries from the tree root and from nested branches (MSRC lists each product in both). */
function parseProducts(ctx: CvrfContext, docId: string, tree: XmlNode): CvrfProduct[] {
  const products = new Map<string, CvrfProduct>();
  const visit = (node: XmlNode, path: string, family: string | null): void => {
    xmlChildren(ctx, docId, node, 'FullProductName', path).forEach((item, i) => {
      const p = `${path}.FullProductName[${i}]`;
      const productId = xmlAttr(item, 'ProductID') ?? xmlFail(ctx, docId, p, 'FullProductName has no ProductID');
      const name = xmlOwnText(ctx, docId, item, p).trim();
      if (name === '') xmlFail(ctx, docId, p, `product ${productId} has no name`);
      const cpe = xmlAttr(item, 'CPE') ?? null;
      const known = products.get(productId);
      if (known === undefined) {
        products.set(productId, { productId, name, cpe, family });
        return;
      }
      if (known.name !== name) xmlWarn(ctx, productId, p, `product ${productId} is named "${known.name}" and "${name}"; kept the first`);
      known.cpe ??= cpe;
      known.family ??= family;
    });
    xmlChildren(ctx, docId, node, 'Branch', path).forEach((branch, i) => {
      const isFamily = xmlAttr(branch, 'Type') === 'Product Family';
      visit(branch, `${path}.Branch[${i}]`, isFamily ? (xmlAttr(branch, 'Name') ?? family) : family);
    });
  };
  visit(tree, 'ProductTree', null);
  return [...products.values()];
}

function requiredDate(ctx: CvrfContext, docId: string, node: XmlNode, name: string, path: string): string {
  const date = xmlRequiredText(ctx, docId, node, name, path);
  if (!isTimestamp(date, false)) xmlFail(ctx, docId, `${path}.${name}`, `"${date}" is not an ISO 8601 date-time`);
  return date;
}

/**
 * Parses one CVRF document. The XML is checked for well-formedness first, so
 * a truncated download fails instead of yielding half the vulnerabilities.
 */
export function parseCvrf(xml: string, source: string): CvrfDocument {
  const ctx: CvrfContext = { file: source, warnings: [] };
  let parsed: XmlNode;
  try {
    parsed = createCvrfXmlParser().parse(xml, true) as XmlNode;
  } catch (err) {
    // The validator reports "message:line:col".
    throw feedParseError({ file: source }, `not well-formed XML: ${(err as Error).message}`, err);
  }
  const root = xmlChild(ctx, undefined, parsed, 'cvrfdoc', '') ?? xmlFail(ctx, undefined, 'cvrfdoc', 'root element <cvrfdoc> is missing');
  const tracking = xmlRequiredChild(ctx, undefined, root, 'DocumentTracking', 'cvrfdoc');
  const identification = xmlRequiredChild(ctx, undefined, tracking, 'Identification', 'DocumentTracking');
  const id = xmlRequiredText(ctx, undefined, identification, 'ID', 'DocumentTracking.Identification').trim();

  const month = cvrfMonth(id);
  if (month === null) xmlWarn(ctx, id, 'DocumentTracking.Identification.ID', `document id "${id}" is not YYYY-Mon; month unknown`);
  const products = parseProducts(ctx, id, xmlRequiredChild(ctx, id, root, 'ProductTree', 'cvrfdoc'));
  const productIds = new Set(products.map((p) => p.productId));

  const vulnerabilities = xmlChildren(ctx, id, root, 'Vulnerability', 'cvrfdoc').map((node, i) => parseVulnerability(ctx, node, i, productIds));
  if (vulnerabilities.length === 0) xmlWarn(ctx, id, 'cvrfdoc', 'document has no vulnerabilities');
  const seen = new Set<string>();
  for (const v of vulnerabilities) {
    if (seen.has(v.cve)) xmlWarn(ctx, v.cve, 'cvrfdoc.Vulnerability', `${v.cve} appears more than once`);
    seen.add(v.cve);
  }

  return {
    source,
    id,
    month,
    title: xmlRequiredText(ctx, id, root, 'DocumentTitle', 'cvrfdoc').trim(),
    documentType: xmlText(ctx, id, root, 'DocumentType', 'cvrfdoc')?.trim() || null,
    initialReleaseDate: requiredDate(ctx, id, tracking, 'InitialReleaseDate', 'DocumentTracking'),
    currentReleaseDate: requiredDate(ctx, id, tracking, 'CurrentReleaseDate', 'DocumentTracking'),
    revisions: parseRevisions(ctx, id, xmlChild(ctx, id, tracking, 'RevisionHistory', 'DocumentTracking'), 'DocumentTracking.RevisionHistory'),
    products,
    vulnerabilities,
    warnings: ctx.warnings,
  };
}

/** Reads and parses a CVRF XML file. PF_ERR_FEED_IO when unreadable, PF_ERR_FEED_PARSE when malformed. */
export async function readCvrfFile(path: string): Promise<CvrfDocument> {
  let xml: string;
  try {
    xml = await readFile(path, 'utf8');
  } catch (err) {
    throw feedIoError(path, err);
  }
  return parseCvrf(xml, path);
}
