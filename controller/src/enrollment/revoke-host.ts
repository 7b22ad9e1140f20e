/**
 * Revoking an agent: the host is marked revoked (the handshake answers
 * PF_ERR_AGENT_REVOKED; its key stays on file, so it cannot be enrolled
 * again under the same key), its unsent commands are cancelled, and every replica is
 * told (REVOCATION_CHANNEL) so the one holding the agent's socket closes it
 * at once. The handshake reads the same columns, so the agent cannot come
 * back on any replica.
 *
 * Writes `hosts.status` (enrollment/ owns `hosts`); cancels through
 * commands/command-store.ts, which owns `commands`.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { audit } from '../audit/audit';
import { cancelCommands } from '../commands/command-store';
import type { Tx } from '../db/index';
import { commands, hosts } from '../db/schema/index';

/** Bus channel whose payload is the id of a host just revoked. */
export const REVOCATION_CHANNEL = 'pf_agent_revoked';

export async function revokeHost(tx: Tx, hostId: string, ctx: { now: number; actor: string; reason?: string | undefined; requestId?: string | undefined }): Promise<{ hostname: string; cancelledCommands: number }> {
  const at = new Date(ctx.now);
  const [host] = await tx.select({ status: hosts.status, hostname: hosts.hostname }).from(hosts).where(eq(hosts.id, hostId)).limit(1).for('update');
  if (!host) throw new PfError(Errors.NOT_FOUND, `host ${hostId} not found`);
  if (host.status === 'revoked') throw new PfError(Errors.AGENT_REVOKED, `host ${hostId} is already revoked`);
  await tx.update(hosts).set({ status: 'revoked' }).where(eq(hosts.id, hostId));
  const open = await tx.select({ id: commands.id }).from(commands).where(and(eq(commands.hostId, hostId), inArray(commands.state, ['queued', 'sent'])));
  const cancelled = open.length > 0 ? await cancelCommands(tx, { ids: open.map((c) => c.id) }, ctx.now, ctx.actor) : [];
  await audit(tx, at, { actor: ctx.actor, action: 'host.revoke', targetType: 'host', targetId: hostId, details: { hostname: host.hostname, reason: ctx.reason ?? null, cancelledCommands: cancelled.length }, requestId: ctx.requestId });
  return { hostname: host.hostname, cancelledCommands: cancelled.length };
}
