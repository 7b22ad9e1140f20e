/**
 * `Threats` of a CVRF vulnerability: impact and severity per product, and the
 * one `Exploit Status` line whose flags feed the priority score.
 */
import { type CvrfContext, type XmlNode, xmlAttr, xmlChildren, xmlFail, xmlText, xmlTexts, xmlWarn } from './msrc-xml';
import type { CvrfExploitStatus, CvrfProductThreat } from './types';

function yesNo(ctx: CvrfContext, cve: string, path: string, key: string, value: string): boolean | null {
  if (value === 'Yes') return true;
  if (value === 'No') return false;
  xmlWarn(ctx, cve, path, `${key} is "${value}", expected Yes or No; kept as unknown`);
  return null;
}

/**
 * Parses `Publicly Disclosed:No;Exploited:Yes;Latest Software Release:Exploitation Detected`.
 * Seen keys: Publicly Disclosed, Exploited, Latest Software Release, Older Software Release, DOS.
 */
export function parseExploitStatus(ctx: CvrfContext, cve: string, raw: string, productIds: string[], path: string): CvrfExploitStatus {
  const status: CvrfExploitStatus = {
    raw,
    publiclyDisclosed: null,
    exploited: null,
    latestSoftwareRelease: null,
    olderSoftwareRelease: null,
    dos: null,
    productIds,
  };
  for (const part of raw.split(';')) {
    if (part.trim() === '') continue;
    const colon = part.indexOf(':');
    if (colon < 0) {
      xmlWarn(ctx, cve, path, `exploit status part "${part}" has no "key:value"`);
      continue;
    }
    const key = part.slice(0, colon).trim();
    const value = part.slice(colon + 1).trim();
    if (key === 'Publicly Disclosed') status.publiclyDisclosed = yesNo(ctx, cve, path, key, value);
    else if (key === 'Exploited') status.exploited = yesNo(ctx, cve, path, key, value);
    else if (key === 'Latest Software Release') status.latestSoftwareRelease = value;
    else if (key === 'Older Software Release') status.olderSoftwareRelease = value;
    else if (key === 'DOS') status.dos = value;
    else xmlWarn(ctx, cve, path, `unknown exploit status key "${key}"`);
  }
  return status;
}

/** Impact/severity per product plus the exploit status of one vulnerability's `Threats` element. */
export function parseThreats(
  ctx: CvrfContext,
  cve: string,
  threats: XmlNode | undefined,
  path: string,
): { productThreats: CvrfProductThreat[]; exploitStatus: CvrfExploitStatus | null } {
  const byProduct = new Map<string, CvrfProductThreat>();
  let exploitStatus: CvrfExploitStatus | null = null;
  if (threats === undefined) return { productThreats: [], exploitStatus };

  xmlChildren(ctx, cve, threats, 'Threat', path).forEach((threat, i) => {
    const p = `${path}.Threat[${i}]`;
    const type = xmlAttr(threat, 'Type') ?? xmlFail(ctx, cve, p, 'Threat has no Type attribute');
    const description = (xmlText(ctx, cve, threat, 'Description', p) ?? '').trim();
    const productIds = xmlTexts(ctx, cve, threat, 'ProductID', p);
    if (type === 'Exploit Status') {
      if (exploitStatus !== null) xmlWarn(ctx, cve, p, 'second Exploit Status ignored');
      else exploitStatus = parseExploitStatus(ctx, cve, description, productIds, p);
      return;
    }
    if (type !== 'Impact' && type !== 'Severity') {
      xmlWarn(ctx, cve, p, `threat type "${type}" ignored`);
      return;
    }
    const field = type === 'Impact' ? 'impact' : 'severity';
    for (const productId of productIds) {
      const entry = byProduct.get(productId) ?? { productId, impact: null, severity: null };
      byProduct.set(productId, entry);
      const value = description === '' ? null : description;
      if (entry[field] !== null && value !== null && entry[field] !== value) {
        xmlWarn(ctx, cve, p, `product ${productId} has ${type} "${entry[field]}" and "${value}"; kept the first`);
      } else if (value !== null) {
        entry[field] = value;
      }
    }
  });
  return { productThreats: [...byProduct.values()], exploitStatus };
}
