/**
 * `Remediations` of a CVRF vulnerability. Vendor fixes carry what patching
 * needs (KB, products, FixedBuild, supersedence, restart, hotpatch);
 * Workaround and Mitigation are kept (what to do while a patch is held); the
 * other types (Release Notes, Known Issue) are only counted, except that
 * Known Issue names the KB whose article lists known issues. Every type is
 * counted in `otherRemediations` but Vendor Fix.
 */
import { type CvrfContext, type XmlNode, xmlAttr, xmlChildren, xmlFail, xmlText, xmlTexts, xmlWarn } from './msrc-xml';
import type { CvrfVendorFix, CvrfWorkaround, RestartRequired } from './types';

// MSRC writes bare digits ("5068861"); older documents and other tools write "KB5068861".
const KB = /^(?:KB)?(\d{5,8})$/i;

/** KB digits of a value such as `5068861` or `KB5068861`, else null. */
export function kbNumber(value: string | null | undefined): string | null {
  return value === null || value === undefined ? null : (KB.exec(value.trim())?.[1] ?? null);
}

/** KBs listed in `Supercedence`: one KB in 2025 documents; a list separated by commas, semicolons or spaces in older ones. */
function parseSupersedence(ctx: CvrfContext, cve: string, raw: string, path: string): string[] {
  const kbs: string[] = [];
  for (const token of raw.split(/[,;\s]+/)) {
    if (token === '') continue;
    const kb = kbNumber(token);
    if (kb === null) xmlWarn(ctx, cve, path, `Supercedence token "${token}" is not a KB number; dropped`);
    else if (!kbs.includes(kb)) kbs.push(kb);
  }
  return kbs;
}

function parseRestart(ctx: CvrfContext, cve: string, raw: string | undefined, path: string): RestartRequired | null {
  const value = raw?.trim().toLowerCase() ?? '';
  if (value === 'yes' || value === 'no' || value === 'maybe') return value;
  // Empty for non-Windows fixes (CBL-Mariner packages); anything else is new to us.
  if (value !== '') xmlWarn(ctx, cve, path, `RestartRequired "${raw ?? ''}" is not Yes/No/Maybe; kept as unknown`);
  return null;
}

/** `Security Hotpatch Update` and `SecurityHotpatchUpdate` both occur. */
export function isHotpatchSubType(subType: string | null): boolean {
  return subType !== null && /hot\s*patch/i.test(subType);
}

function nonEmpty(value: string | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? null : trimmed;
}

function parseVendorFix(ctx: CvrfContext, cve: string, node: XmlNode, path: string): CvrfVendorFix {
  const description = nonEmpty(xmlText(ctx, cve, node, 'Description', path));
  const supersedenceRaw = nonEmpty(xmlText(ctx, cve, node, 'Supercedence', path));
  const subType = nonEmpty(xmlText(ctx, cve, node, 'SubType', path));
  return {
    kb: kbNumber(description),
    description,
    url: nonEmpty(xmlText(ctx, cve, node, 'URL', path)),
    productIds: xmlTexts(ctx, cve, node, 'ProductID', path),
    fixedBuild: nonEmpty(xmlText(ctx, cve, node, 'FixedBuild', path)),
    supersedes: supersedenceRaw === null ? [] : parseSupersedence(ctx, cve, supersedenceRaw, `${path}.Supercedence`),
    supersedenceRaw,
    restartRequired: parseRestart(ctx, cve, xmlText(ctx, cve, node, 'RestartRequired', path), `${path}.RestartRequired`),
    subType,
    hotpatch: isHotpatchSubType(subType),
  };
}

/**
 * MSRC writes workaround text as HTML (`<p>...</p>`, entities escaped once
 * more in the XML): keep plain text, paragraphs as blank lines.
 */
export function plainText(html: string): string {
  const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };
  return html
    .replace(/<\s*(br|\/p|\/li|\/div)\s*\/?>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (m, e: string) => {
      if (e.startsWith('#x') || e.startsWith('#X')) return String.fromCodePoint(parseInt(e.slice(2), 16));
      if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
      return entities[e.toLowerCase()] ?? m;
    })
    .split('\n')
    .map((l) => l.replace(/\s+/g, ' ').trim())
    .filter((l, i, all) => l !== '' || (i > 0 && all[i - 1] !== ''))
    .join('\n')
    .trim();
}

function parseWorkaround(ctx: CvrfContext, cve: string, node: XmlNode, type: 'Workaround' | 'Mitigation', ordinal: number, path: string): CvrfWorkaround {
  return {
    type,
    ordinal,
    description: plainText(xmlText(ctx, cve, node, 'Description', path) ?? ''),
    url: nonEmpty(xmlText(ctx, cve, node, 'URL', path)),
    productIds: xmlTexts(ctx, cve, node, 'ProductID', path),
  };
}

/** Remediations of one vulnerability, split into vendor fixes, known-issue KBs, workarounds/mitigations and counts of the rest. */
export function parseRemediations(
  ctx: CvrfContext,
  cve: string,
  remediations: XmlNode | undefined,
  path: string,
): { vendorFixes: CvrfVendorFix[]; knownIssueKbs: string[]; workarounds: CvrfWorkaround[]; otherRemediations: Record<string, number> } {
  const vendorFixes: CvrfVendorFix[] = [];
  const knownIssueKbs: string[] = [];
  const workarounds: CvrfWorkaround[] = [];
  const otherRemediations: Record<string, number> = {};
  if (remediations === undefined) return { vendorFixes, knownIssueKbs, workarounds, otherRemediations };

  xmlChildren(ctx, cve, remediations, 'Remediation', path).forEach((node, i) => {
    const p = `${path}.Remediation[${i}]`;
    const type = xmlAttr(node, 'Type') ?? xmlFail(ctx, cve, p, 'Remediation has no Type attribute');
    if (type === 'Vendor Fix') {
      vendorFixes.push(parseVendorFix(ctx, cve, node, p));
      return;
    }
    otherRemediations[type] = (otherRemediations[type] ?? 0) + 1;
    if (type === 'Known Issue') {
      const kb = kbNumber(xmlText(ctx, cve, node, 'Description', p));
      if (kb !== null && !knownIssueKbs.includes(kb)) knownIssueKbs.push(kb);
    }
    if (type === 'Workaround' || type === 'Mitigation') {
      const w = parseWorkaround(ctx, cve, node, type, workarounds.filter((x) => x.type === type).length, p);
      // An empty workaround says nothing an admin could act on.
      if (w.description !== '' || w.url !== null) workarounds.push(w);
      else xmlWarn(ctx, cve, p, `${type} without description or URL; dropped`);
    }
  });
  return { vendorFixes, knownIssueKbs, workarounds, otherRemediations };
}
