/**
 * Release files for agents and installers:
 *
 * - `GET /downloads/:name` (outside /api/v1, no credentials): a file of the
 *   releases folder, streamed with its content-length. Public on purpose:
 *   the signed metadata, not the transport, protects them (agents verify the
 *   release key's signature, hashes and sizes). Installers (.deb,
 *   install-agent.sh) fetch `/downloads/<file>` too: keep this contract.
 * - `GET /api/v1/agent-releases` (any role): the releases found.
 */
import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Errors, PfError } from '@patchfleet/shared/errors';
import { RELEASE_PLATFORMS } from '@patchfleet/shared/release';
import type { ControllerContext } from '../context';
import type { ApiInstance } from '../api/plugin';
import { ErrorResponse, OneOf } from '../api/schemas';
import { isServableName, listReleases } from './release-store';

const NameParam = Type.Object({ name: Type.String({ minLength: 1, maxLength: 128 }) });

/** `GET /downloads/:name`, on the root app. */
export function downloadRoutes(app: FastifyInstance, dir: string): void {
  app.get('/downloads/:name', { config: { auth: 'public' }, schema: { hide: true, params: NameParam } }, async (req, reply) => {
    const { name } = req.params as { name: string };
    // The name is one plain file name: no separators, no dot-files, no "..": nothing outside the folder.
    if (!isServableName(name)) throw new PfError(Errors.NOT_FOUND, 'no such release file');
    const path = join(dir, name);
    let size: number;
    try {
      const st = statSync(path);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    } catch {
      throw new PfError(Errors.NOT_FOUND, `no release file ${name}`);
    }
    const type = name.endsWith('.json') ? 'application/json' : 'application/octet-stream';
    return reply.header('content-length', size).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').type(type).send(createReadStream(path));
  });
}

const FileSchema = Type.Object({ platform: OneOf(RELEASE_PLATFORMS), name: Type.String(), sha256: Type.String(), size: Type.Integer() });
const ReleaseSchema = Type.Object({
  manifest: Type.String({ description: 'metadata file, served at /downloads/<manifest>' }),
  version: Type.String(),
  expires: Type.String({ format: 'date-time' }),
  expired: Type.Boolean(),
  files: Type.Array(FileSchema),
});

/** `GET /api/v1/agent-releases`. */
export function agentReleaseRoutes(api: ApiInstance, ctx: ControllerContext, dir: string): void {
  api.get(
    '/agent-releases',
    {
      config: { auth: 'helpdesk' },
      schema: { summary: 'Agent releases in the releases folder (signatures are checked by agents, not here)', tags: ['agent releases'], response: { 200: Type.Object({ dir: Type.String(), items: Type.Array(ReleaseSchema) }), '4xx': ErrorResponse } },
    },
    async () => ({ dir, items: listReleases(dir, (ctx.netClock ?? ctx.clock).now(), (msg, fields) => ctx.log.warn(fields, msg)) }),
  );
}
