import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ControllerMetrics } from '../../metrics/controller-metrics';
import { ErrorResponse } from '../schemas';

/**
 * GET /metrics: this controller process's Prometheus metrics (text
 * exposition format). Prometheus sends an API token as a bearer token
 * (`authorization.credentials` in its scrape config); the help desk role,
 * read-only, is enough.
 */
export function metricsRoutes(app: FastifyInstance, metrics: ControllerMetrics): void {
  app.get(
    '/metrics',
    {
      config: { auth: 'helpdesk' },
      schema: {
        summary: "This controller process's Prometheus metrics: agents, handshakes, frames, commands and rollouts by state, gate evaluations, database pool, Node.js runtime",
        tags: ['operations'],
        response: { 200: Type.String({ description: 'Prometheus text exposition format 0.0.4' }), '4xx': ErrorResponse },
      },
    },
    async (_req, reply) => {
      const { contentType, body } = await metrics.render();
      return reply.type(contentType).send(body);
    },
  );
}
