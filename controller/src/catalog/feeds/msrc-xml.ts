/**
 * XML plumbing for MSRC CVRF: the fast-xml-parser configuration and strict
 * accessors over its output.
 *
 * MSRC serves CVRF 1.1 with prefixes (`cvrf:`, `vuln:`, `prod:`); other CVRF
 * producers use default namespaces. Prefixes are dropped so both read the same.
 * Elements that may repeat are always arrays (`isArray`), every other element
 * must occur at most once: the accessors throw when the shape differs, so a
 * format change fails loudly instead of reading the first of two values.
 */
import { XMLParser } from 'fast-xml-parser';
import { feedParseError } from './feed-errors';
import type { FeedWarning } from './types';

/** Elements that repeat in CVRF 1.1 (cvrf, prod and vuln schemas). */
const REPEATING = new Set([
  'Alias', 'Revision', 'Note', 'Reference', 'Acknowledgment', 'Name', 'Organization', 'URL',
  'Branch', 'FullProductName', 'Relationship', 'ProductGroup', 'ProductID', 'GroupID',
  'Vulnerability', 'Involvement', 'CWE', 'Status', 'Threat', 'ScoreSet', 'Remediation', 'AffectedFile',
]);

/** A fresh parser for CVRF documents (XMLParser keeps no state between documents, one per call is cheap). */
export function createCvrfXmlParser(): XMLParser {
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    removeNSPrefix: true,
    // KB numbers and builds must stay strings: "5068861", "10.0.26100.7171".
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    isArray: (name, _path, _isLeaf, isAttribute) => !isAttribute && REPEATING.has(name),
  });
}

/** A parsed element with children and/or attributes. */
export type XmlNode = Record<string, unknown>;

/** File, record and collected warnings of one CVRF parse. */
export interface CvrfContext {
  file: string;
  warnings: FeedWarning[];
}

/** Throws PF_ERR_FEED_PARSE naming the file, the record (CVE or document id) and the element path. */
export function xmlFail(ctx: CvrfContext, record: string | undefined, path: string, problem: string): never {
  throw feedParseError(record === undefined ? { file: ctx.file, path } : { file: ctx.file, record, path }, problem);
}

/** Records a non-fatal oddity. */
export function xmlWarn(ctx: CvrfContext, record: string | null, path: string, message: string): void {
  ctx.warnings.push({ record, path, message });
}

function asNode(ctx: CvrfContext, record: string | undefined, value: unknown, path: string): XmlNode | undefined {
  // An element without content and without attributes comes out as "".
  if (value === '' || value === undefined) return undefined;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as XmlNode;
  return xmlFail(ctx, record, path, 'expected an element with children');
}

/** The single child element `name`, or undefined when absent or empty. */
export function xmlChild(ctx: CvrfContext, record: string | undefined, node: XmlNode, name: string, path: string): XmlNode | undefined {
  const value = node[name];
  if (Array.isArray(value)) return xmlFail(ctx, record, `${path}.${name}`, `expected one <${name}>, found ${value.length}`);
  return asNode(ctx, record, value, `${path}.${name}`);
}

/** The single child element `name`; throws when absent. */
export function xmlRequiredChild(ctx: CvrfContext, record: string | undefined, node: XmlNode, name: string, path: string): XmlNode {
  return xmlChild(ctx, record, node, name, path) ?? xmlFail(ctx, record, `${path}.${name}`, `<${name}> is missing`);
}

/** All child elements `name` (a repeating element); empty elements come back as `{}`. */
export function xmlChildren(ctx: CvrfContext, record: string | undefined, node: XmlNode, name: string, path: string): XmlNode[] {
  const value = node[name];
  if (value === undefined) return [];
  if (!Array.isArray(value)) return xmlFail(ctx, record, `${path}.${name}`, `<${name}> is not configured as repeating`);
  return value.map((item, i) => asNode(ctx, record, item, `${path}.${name}[${i}]`) ?? {});
}

function textOf(ctx: CvrfContext, record: string | undefined, value: unknown, path: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    // Element with attributes: its text sits under #text (absent when the element is empty).
    const text = (value as XmlNode)['#text'];
    if (text === undefined) return '';
    if (typeof text === 'string') return text;
  }
  return xmlFail(ctx, record, path, 'expected text content');
}

/** Text of the single child `name` (trimmed; "" for an empty element), or undefined when absent. */
export function xmlText(ctx: CvrfContext, record: string | undefined, node: XmlNode, name: string, path: string): string | undefined {
  const value = node[name];
  if (Array.isArray(value)) {
    if (value.length === 1) return textOf(ctx, record, value[0], `${path}.${name}[0]`);
    return xmlFail(ctx, record, `${path}.${name}`, `expected one <${name}>, found ${value.length}`);
  }
  return textOf(ctx, record, value, `${path}.${name}`);
}

/** Text of the single child `name`; throws when absent or empty. */
export function xmlRequiredText(ctx: CvrfContext, record: string | undefined, node: XmlNode, name: string, path: string): string {
  const text = xmlText(ctx, record, node, name, path);
  if (text === undefined || text === '') return xmlFail(ctx, record, `${path}.${name}`, `<${name}> is missing or empty`);
  return text;
}

/** Texts of a repeating child such as `ProductID`. */
export function xmlTexts(ctx: CvrfContext, record: string | undefined, node: XmlNode, name: string, path: string): string[] {
  const value = node[name];
  if (value === undefined) return [];
  if (!Array.isArray(value)) return xmlFail(ctx, record, `${path}.${name}`, `<${name}> is not configured as repeating`);
  return value.map((item, i) => textOf(ctx, record, item, `${path}.${name}[${i}]`) ?? '');
}

/** Text of an element that also has attributes (e.g. `<CWE ID="CWE-415">Double Free</CWE>`); "" when empty. */
export function xmlOwnText(ctx: CvrfContext, record: string | undefined, node: XmlNode, path: string): string {
  return textOf(ctx, record, node, path) ?? '';
}

/** Attribute value, or undefined. */
export function xmlAttr(node: XmlNode, name: string): string | undefined {
  const value = node[`@_${name}`];
  return typeof value === 'string' ? value : undefined;
}
