/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no insignificant
 * white space, numbers as JSON.stringify writes them (the JCS / RFC 8785
 * rules for the values we sign). Anything that has no single JSON form
 * (undefined, functions, NaN, Infinity, bigint, cycles) is refused, because
 * a signature over an ambiguous encoding is worthless.
 */
export function canonicalJson(value: unknown): string {
  return encode(value, new Set());
}

function encode(value: unknown, seen: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonical JSON: non-finite number');
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new TypeError(`canonical JSON: cannot encode ${typeof value}`);
  }
  const obj = value as object;
  if (seen.has(obj)) throw new TypeError('canonical JSON: cycle');
  seen.add(obj);
  let out: string;
  if (Array.isArray(obj)) {
    out = `[${obj.map((v) => encode(v, seen)).join(',')}]`;
  } else {
    const record = obj as Record<string, unknown>;
    const keys = Object.keys(record).filter((k) => record[k] !== undefined).sort();
    out = `{${keys.map((k) => `${JSON.stringify(k)}:${encode(record[k], seen)}`).join(',')}}`;
  }
  seen.delete(obj);
  return out;
}

/** UTF-8 bytes of the canonical form: what gets signed. */
export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}
