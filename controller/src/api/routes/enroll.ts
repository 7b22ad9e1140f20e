import { Type } from '@sinclair/typebox';
import { AGENT_WS_PATH } from '@patchfleet/shared';
import type { ControllerContext } from '../../context';
import type { ApiInstance } from '../plugin';
import { enrollAgent } from '../../enrollment/enroll';
import { ENROLL_PATH, limitPerAddress } from '../rate-limits';
import { ErrorResponse, Labels } from '../schemas';

export function enrollRoutes(app: ApiInstance, ctx: ControllerContext): void {
  app.post(
    ENROLL_PATH,
    {
      // Authenticated by the enrollment token in the body, not by an API token.
      config: { auth: 'public' },
      // Every refusal (this limit, validation, a bad token) is audited per address and minute by rate-limits.ts, never one row per attempt.
      onRequest: limitPerAddress(app, ctx.config.enrollRatePerMin, 'enrollment attempts'),
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
      const body = req.body;
      // Simulation mode: ids from keys, so a simulator's seeded hosts get the same ids (and rings) every run.
      const result = await enrollAgent(ctx.db, body, new Date(ctx.clock.now()), req.id, { idFromKey: ctx.config.simulation === true });
      req.log.info({ agentId: result.agentId, hostname: body.hostname }, 'agent enrolled');
      return { agentId: result.agentId, commandKey: ctx.commandPublicKey, heartbeatSec: ctx.config.heartbeatSec, labels: result.labels, wsPath: AGENT_WS_PATH };
    },
  );
}
