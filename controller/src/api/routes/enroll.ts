import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AGENT_WS_PATH } from '@patchfleet/shared';
import { isPfError } from '@patchfleet/shared/errors';
import { audit } from '../../audit/audit';
import type { ControllerContext } from '../../context';
import { enrollAgent, type EnrollRequest } from '../../enrollment/enroll';
import { ErrorResponse, Labels } from '../schemas';


export function enrollRoutes(app: FastifyInstance, ctx: ControllerContext): void {
  app.post(
    '/api/v1/agents/enroll',
    {
      // Authenticated by the enrollment token in the body, not by an API token.
      config: { auth: 'public' },
      bodyLimit: 16 * 1024,
      schema: {
        summary: 'Enroll an agent with an enrollment token',
        tags: ['agents'],
        body: Type.Object(
          {
            token: Type.String({ minLength: 8, maxLength: 128 }),
            publicKey: Type.String({ minLength: 40, maxLength: 64 }),
            hostname: Type.String({ minLength: 1, maxLength: 255 }),
            platform: Type.String({ minLength: 1, maxLength: 32 }),
            agentVersion: Type.String({ maxLength: 64 }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ agentId: Type.String(), commandKey: Type.String(), heartbeatSec: Type.Integer(), labels: Labels, wsPath: Type.String() }),
          '4xx': ErrorResponse,
        },
      },
    },
    async (req) => {
      const body = req.body as EnrollRequest;
      const now = new Date(ctx.clock.now());
      try {
        const result = await enrollAgent(ctx.db, body, now, req.id);
        req.log.info({ agentId: result.agentId, hostname: body.hostname }, 'agent enrolled');
        return { agentId: result.agentId, commandKey: ctx.commandPublicKey, heartbeatSec: ctx.config.heartbeatSec, labels: result.labels, wsPath: AGENT_WS_PATH };
      } catch (err) {
        if (isPfError(err) && err.status < 500) {
          // Refusals are security events: record them (without the token) outside the rolled-back transaction.
          await audit(ctx.db, now, { actor: 'anonymous', action: 'agent.enroll.refused', targetType: 'enroll-token', targetId: String(err.details?.tokenId ?? 'unknown'), details: { code: err.code, hostname: body.hostname, ip: req.ip }, requestId: req.id });
        }
        throw err;
      }
    },
  );
}
