/**
 * What PostgreSQL cannot store, found before it reaches a query. A NUL
 * (U+0000) is refused in text and jsonb (22P05, 22021), and an unpaired
 * UTF-16 surrogate survives JSON.parse but not jsonb's `\uD800` escape
 * (22P02). A frame that passes its schema can still hold either, in any
 * string or object key; failing inside a transaction would come too late
 * (the controller answered 1011 and the agent resent the same report forever).
 * Numbers are bounded by the schemas (times, sequence numbers).
 */

/** Deeper than any frame schema allows; nothing nested further reaches SQL. */
const MAX_DEPTH = 32;

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `text` cannot be stored, or undefined. */
function problemIn(text: string): string | undefined {
  if (text.includes('\u0000')) return 'holds a NUL character (U+0000)';
  if (LONE_SURROGATE.test(text)) return 'holds an unpaired UTF-16 surrogate';
  return undefined;
}

/**
 * The first string or key in `value` the database cannot store, as a JSON
 * pointer (`/packages/3/version`) and the reason, or undefined. Never quotes
 * the value itself.
 */
export function findUnstorable(value: unknown, path = '', depth = 0): { path: string; reason: string } | undefined {
  if (typeof value === 'string') {
    const reason = problemIn(value);
    return reason ? { path: path || '/', reason } : undefined;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : { path: path || '/', reason: 'is not a finite number' };
  if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findUnstorable(value[i], `${path}/${i}`, depth + 1);
      if (hit) return hit;
    }
    return undefined;
  }
  for (const [key, v] of Object.entries(value)) {
    const keyProblem = problemIn(key);
    if (keyProblem) return { path: `${path}/(a key)`, reason: keyProblem };
    const hit = findUnstorable(v, `${path}/${key}`, depth + 1);
    if (hit) return hit;
  }
  return undefined;
}

/**
 * `value` with every string and key made storable: a NUL or an unpaired
 * surrogate becomes U+FFFD. For text the agent passes on from elsewhere
 * (a tool's error output in a command status), where refusing the whole
 * frame would only make the agent repeat it at every reconnect.
 */
export function toStorable<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return (findUnstorable(value) ? value.replaceAll('\u0000', '\uFFFD').replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD') : value) as T;
  if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((v: unknown) => toStorable(v, depth + 1)) as T;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [toStorable(k), toStorable(v, depth + 1)])) as T;
}
