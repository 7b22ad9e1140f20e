import { Errors, PfError } from '../errors';
import { decodeShellOutput } from './decode-text';
import { jsonErrorOffset } from './json-error-offset';

/**
 * Parses what `ConvertTo-Json` printed, from Windows PowerShell 5.1 or
 * PowerShell 7, as bytes or text.
 *
 * Lines before the JSON are skipped: the console host prints the warning
 * stream to stdout, so saved output can start with a localized
 * "WARNING:"/"WARNUNG:"/"AVERTISSEMENT :" line (PowerShell 7 warns when
 * `-Depth` truncates). A syntax error names the line and column, counted in
 * the whole input, so an operator can find it in the file they pasted.
 */
export function parsePsJson(input: string | Uint8Array, what: string): unknown {
  const text = decodeShellOutput(input, what);
  if (!text.trim()) throw new PfError(Errors.BAD_INPUT, `${what}: output is empty, expected JSON`, { what });
  const start = firstJsonLine(text);
  try {
    return JSON.parse(text.slice(start));
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const offset = jsonErrorOffset(text.slice(start));
    const where = offset === undefined ? undefined : lineColumn(text, start + offset);
    const at = where ? ` at line ${where.line} column ${where.column}` : '';
    throw new PfError(Errors.BAD_INPUT, `${what}: invalid JSON${at}: ${reason}`, { what, ...where }, { cause: err });
  }
}

function firstJsonLine(text: string): number {
  const m = /^[ \t]*[[{]/m.exec(text);
  // No line opens an array or object: a bare scalar (`null`) is still JSON, and
  // anything else gets JSON.parse's own complaint with its position.
  return m ? m.index : 0;
}

function lineColumn(text: string, index: number): { line: number; column: number } {
  const before = text.slice(0, index);
  const line = before.split('\n').length;
  return { line, column: index - before.lastIndexOf('\n') };
}

/** A JSON object (not an array, not null). */
export type JsonObject = Record<string, unknown>;

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The list ConvertTo-Json meant. It writes one object where the pipeline held
 * one item (not `[obj]`), nothing or `null` for none, and in 5.1 an array
 * that went through a PSObject wrapper as `{"value":[...],"Count":n}`.
 */
export function psArray(v: unknown): unknown[] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v;
  if (isJsonObject(v)) {
    const keys = Object.keys(v).map((k) => k.toLowerCase());
    const inner = psProp(v, 'value');
    if (Array.isArray(inner) && keys.every((k) => k === 'value' || k === 'count')) return inner;
  }
  return [v];
}

/**
 * Property `name` of a PowerShell object, matched without case:
 * `Select-Object hotfixid` writes the key as typed, not as the class spells it.
 */
export function psProp(obj: unknown, name: string): unknown {
  if (!isJsonObject(obj)) return undefined;
  if (name in obj) return obj[name];
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/**
 * A string value: strings as they are, numbers and booleans as text,
 * `null`/missing as undefined. A 5.1 PSObject-wrapped value
 * (`{"value":...}`) is unwrapped.
 */
export function psString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (isJsonObject(v) && psProp(v, 'value') !== undefined) return psString(psProp(v, 'value'));
  return undefined;
}

/** An integer value from a number or a decimal string (REG_SZ builds), else undefined. */
export function psInt(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : undefined;
  if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  if (isJsonObject(v) && psProp(v, 'value') !== undefined) return psInt(psProp(v, 'value'));
  return undefined;
}

/** A boolean value; `true`/`false` strings are accepted, anything else is undefined. */
export function psBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
  return undefined;
}

/** What kind of JSON value `v` is, for error messages. */
export function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}
