/**
 * The API's fastify instance type: routes are registered on a plugin under
 * the /api/v1 prefix (app.ts) with the TypeBox type provider, so request
 * bodies, queries and params have the types of their schemas and need no
 * casts.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';

/** The API prefix every route but /healthz and the dashboard lives under. */
export const API_PREFIX = '/api/v1';

/** A fastify instance whose routes take their request types from their TypeBox schemas. */
export type ApiInstance = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;
