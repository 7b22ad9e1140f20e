/**
 * Refuses text the database cannot store before any handler runs: a NUL
 * (U+0000) or an unpaired UTF-16 surrogate anywhere in the body, query string
 * or path parameters, in a value or a key, answers 400 PF_ERR_VALIDATION
 * (shared/src/protocol/storable.ts finds it, as for agent frames). PostgreSQL rejects NUL in text and
 * jsonb (22P05/22021), and failing there would come too late: after part of
 * a transaction, or inside the audit insert that records a refusal.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { findUnstorable } from '@patchfleet/shared';
import { PfError, Errors } from '@patchfleet/shared/errors';

/** `labels.site` for the JSON pointer `/labels/site`: the field as a caller names it. */
function fieldOf(pointer: string): string {
  return pointer === '/' ? '(value)' : pointer.slice(1).replaceAll('/', '.');
}

function check(req: FastifyRequest): void {
  const parts: [string, unknown][] = [
    ['params', req.params],
    ['querystring', req.query],
    ['body', req.body],
  ];
  for (const [where, value] of parts) {
    // The same check the agent gateway makes on frames; the message names the field, never the value.
    const hit = findUnstorable(value);
    if (!hit) continue;
    const what = hit.reason.includes('NUL') ? 'NUL (U+0000)' : hit.reason.replace(/^holds /, '');
    throw new PfError(Errors.VALIDATION, `${where}: ${fieldOf(hit.path)} must not contain ${what}`);
  }
}

/** Registers the check on every route, after authentication and before schema validation. */
export function registerInputGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => check(req));
}
