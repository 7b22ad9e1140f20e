/**
 * One JSON error envelope for the whole API:
 * `{ "error": { "code", "message", "requestId" } }`, with stable PF_ERR codes.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isPfError, Errors } from '@patchfleet/shared/errors';
import { dbErrorToPfError } from '../db/errors';

export interface ErrorEnvelope {
  error: { code: string; message: string; requestId: string; retryable: boolean };
}

/** Seconds a client should wait before retrying a 503 (the database or the controller is away). */
export const RETRY_AFTER_SEC = 5;

export function sendError(reply: FastifyReply, def: { code: string; status: number; retryable: boolean }, message: string): FastifyReply {
  const body: ErrorEnvelope = { error: { code: def.code, message, requestId: String(reply.request.id), retryable: def.retryable } };
  if (def.status === 503) void reply.header('retry-after', String(RETRY_AFTER_SEC));
  return reply.code(def.status).type('application/json').send(body);
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((thrown: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    // A database failure becomes 503 (unreachable) or 400 (a value it refused); its query and parameters are never logged or answered.
    const err = isPfError(thrown) ? thrown : (dbErrorToPfError(thrown) ?? thrown);
    if (isPfError(err)) {
      if (err.status >= 500) req.log.error({ err, code: err.code }, 'request failed');
      else req.log.info({ code: err.code, msg: err.message }, 'request refused');
      const wait = err.details?.retryAfterSec;
      if (typeof wait === 'number' && Number.isFinite(wait) && wait > 0) void reply.header('retry-after', String(Math.ceil(wait)));
      return sendError(reply, err, err.message);
    }
    if (err.validation) {
      return sendError(reply, Errors.VALIDATION, `${err.validationContext ?? 'request'}${err.message.replace(/^(body|querystring|params|headers)/, '')}`);
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, Errors.PAYLOAD_TOO_LARGE, err.message);
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      // Fastify's own client errors (bad JSON, wrong content type): keep its words, give our code.
      return sendError(reply, { ...Errors.VALIDATION, status: err.statusCode }, err.message);
    }
    req.log.error({ err }, 'unhandled error');
    return sendError(reply, Errors.INTERNAL, 'internal error');
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, Errors.ROUTE_NOT_FOUND, `no route ${req.method} ${req.url.split('?')[0]}`));
}
