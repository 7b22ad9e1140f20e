/**
 * Refuses text the database cannot store before any handler runs: a NUL
 * (U+0000) anywhere in the body, query string or path parameters, in a value
 * or a key, answers 400 PF_ERR_VALIDATION. PostgreSQL rejects NUL in text and
 * jsonb (22P05/22021), and failing there would come too late: after part of
 * a transaction, or inside the audit insert that records a refusal.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PfError, Errors } from '@patchfleet/shared/errors';

/** Deeper than any schema we accept; a body nested further is refused, not walked. */
const MAX_DEPTH = 32;

/** The path (`hostname`, `labels.site`, `items[3]`) of the first string or key holding a NUL, or undefined. */
export function findNul(value: unknown, path = '', depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path || '(value)' : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth >= MAX_DEPTH) return undefined; // ajv's schemas bound real nesting; nothing this deep reaches SQL
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findNul(value[i], `${path}[${i}]`, depth + 1);
      if (hit) return hit;
    }
    return undefined;
  }
  for (const [key, v] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (key.includes('\u0000')) return `${path ? `${path}.` : ''}(a key)`;
    const hit = findNul(v, at, depth + 1);
    if (hit) return hit;
  }
  return undefined;
}

function check(req: FastifyRequest): void {
  const parts: [string, unknown][] = [
    ['params', req.params],
    ['querystring', req.query],
    ['body', req.body],
  ];
  for (const [where, value] of parts) {
    const hit = findNul(value);
    // The path names a field we accept, with the NUL shown as \u0000, never the value itself.
    if (hit) throw new PfError(Errors.VALIDATION, `${where}: ${hit.replaceAll('\u0000', '\\u0000')} must not contain NUL (U+0000)`);
  }
}

/** Registers the check on every route, after authentication and before schema validation. */
export function registerInputGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => check(req));
}
