import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { PfError, Errors } from '@patchfleet/shared/errors';
import type { ControllerContext } from '../../context';
import { createUser, getUser, listUsers, updateUser } from '../../keys/users';
import { actorOf } from '../auth';
import { ErrorResponse } from '../schemas';
import { Password, RoleSchema, UserName } from './auth';

const UserView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  disabled: Type.Boolean(),
  signIn: Type.Array(Type.Union([Type.Literal('password'), Type.Literal('oidc')])),
  lockedUntil: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  createdBy: Type.Union([Type.String(), Type.Null()]),
});
const IdParam = Type.Object({ id: Type.String({ pattern: '^pn_[0-9a-f]{1,32}$' }) });

/** User accounts (admins): list, create, change role, disable, reset password. */
export function userRoutes(app: FastifyInstance, ctx: ControllerContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/api/v1/users',
    { config: { auth: 'admin' }, schema: { summary: 'User accounts, by name (never their password hashes)', tags: ['access'], response: { 200: Type.Object({ items: Type.Array(UserView) }), '4xx': ErrorResponse } } },
    async () => ({ items: await listUsers(ctx.db) }),
  );

  r.get(
    '/api/v1/users/:id',
    { config: { auth: 'admin' }, schema: { summary: 'One user account', tags: ['access'], params: IdParam, response: { 200: UserView, '4xx': ErrorResponse } } },
    async (req) => getUser(ctx.db, req.params.id),
  );

  r.post(
    '/api/v1/users',
    {
      config: { auth: 'admin' },
      bodyLimit: 4 * 1024,
      schema: {
        summary: 'Create a user account with a role and an initial password (or none: OIDC sign-in only)',
        tags: ['access'],
        body: Type.Object({ name: UserName, role: RoleSchema, password: Type.Union([Password, Type.Null()]) }, { additionalProperties: false }),
        response: { 201: UserView, '4xx': ErrorResponse },
      },
    },
    async (req, reply) => {
      const p = req.principal;
      if (!p) throw new PfError(Errors.UNAUTHORIZED);
      const made = await createUser(ctx.db, { name: req.body.name, role: req.body.role, password: req.body.password }, p.personId, new Date(ctx.clock.now()), { actor: actorOf(req), requestId: req.id });
      return reply.code(201).send(made);
    },
  );

  r.patch(
    '/api/v1/users/:id',
    {
      config: { auth: 'admin' },
      bodyLimit: 4 * 1024,
      schema: {
        summary: "Change a user's role, disable or enable them, or reset their password; their sessions end on any of these but enabling",
        tags: ['access'],
        params: IdParam,
        body: Type.Object({ role: Type.Optional(RoleSchema), disabled: Type.Optional(Type.Boolean()), password: Type.Optional(Password) }, { additionalProperties: false, minProperties: 1 }),
        response: { 200: UserView, '4xx': ErrorResponse },
      },
    },
    async (req) => updateUser(ctx.db, req.params.id, req.body, new Date(ctx.clock.now()), { actor: actorOf(req), requestId: req.id }),
  );
}
