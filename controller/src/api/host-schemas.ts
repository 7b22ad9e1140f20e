/** The schemas of a host (and of a patch's decision) that several routes answer with (hosts.ts, host-overview.ts, patches.ts). */
import { Type } from '@sinclair/typebox';
import { DECISIONS } from '../reliability/decision-types';
import { Labels, OneOf } from './schemas';

/** The reliability decision on a patch (reliability/decide.ts), on each missing patch of a host and on the patch list. */
export const PatchDecision = Type.Object({
  decision: OneOf(DECISIONS),
  score: Type.Union([Type.Number(), Type.Null()], { description: 'reliability score 0-100; null: never scored' }),
  confidence: Type.Number({ minimum: 0, maximum: 1 }),
  cautious: Type.Boolean({ description: 'low confidence: smaller waves and a longer soak' }),
  reasons: Type.Array(Type.String()),
});

/** A host as lists show it. */
export const HostSummary = Type.Object({
  id: Type.String(),
  hostname: Type.String(),
  os: Type.Object({ platform: Type.String(), id: Type.String(), name: Type.String(), version: Type.String(), kernel: Type.String(), arch: Type.String() }),
  hardware: Type.Object({ vendor: Type.String(), model: Type.String(), serial: Type.String() }),
  addresses: Type.Array(Type.String()),
  users: Type.Array(Type.String(), { description: 'users logged in at the last inventory' }),
  labels: Labels,
  status: Type.String(),
  packageCount: Type.Integer(),
  enrolledAt: Type.String({ format: 'date-time' }),
  lastSeenAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastReportAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  online: Type.Boolean(),
});

/** One agent session of a host (the latest ten on a host's page). */
export const HostSession = Type.Object({
  id: Type.String(),
  controllerId: Type.String(),
  remoteAddress: Type.String(),
  agentVersion: Type.String(),
  connectedAt: Type.String({ format: 'date-time' }),
  lastSeenAt: Type.String({ format: 'date-time' }),
  disconnectedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  closeReason: Type.Union([Type.String(), Type.Null()]),
});

/** An accepted mitigation standing in for a patch on one host. */
export const HostMitigation = Type.Object({
  state: OneOf(['mitigated, not patched', 'mitigation expired']),
  mitigationId: Type.String(),
  owner: Type.String(),
  expiresAt: Type.String({ format: 'date-time' }),
  description: Type.String(),
});
