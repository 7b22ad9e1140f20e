/**
 * Health samples and probes (protocol 4, capability `health/1`).
 *
 * Every interval the agent closes a sample: counters for [periodStart,
 * periodEnd) and its boot id and uptime. Samples go through the agent's
 * durable health outbox (their own epoch and sequence numbers, apart from
 * inventory reports) in `health` frames; the controller stores them,
 * de-duplicates on (host, epoch, seq) and answers `healthAck` with the
 * highest sequence number it holds, so a host offline for a day delivers
 * every sample once. A counter is absent when its source was unavailable
 * (named in `unavailable`): never reported as 0.
 *
 * The controller pushes `healthConfig` (sample interval and the probes that
 * apply to the host) after `welcome` and whenever it changes.
 */
import { Type, type Static } from '@sinclair/typebox';
import { signCanonical } from '../crypto/signed';

const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });
const Time = Type.Integer({ minimum: 0, maximum: 253_402_300_799_999 });
const Count = Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 }));

/** Names of the sources a sample may say were unavailable. */
export const HEALTH_SOURCES = ['journald', 'units', 'var-crash', 'eventlog', 'probes'] as const;
export type HealthSource = (typeof HEALTH_SOURCES)[number];

/** Kinds of events a sample counts (and may list a few of). */
export const HEALTH_EVENT_KINDS = ['app-crash', 'kernel-crash', 'service-failure', 'unexpected-shutdown', 'probe-failure'] as const;
export type HealthEventKind = (typeof HEALTH_EVENT_KINDS)[number];

/** The counters of one interval; absent: the source behind it was unavailable. */
export const HealthCountersSchema = Type.Object(
  {
    appCrashes: Count,
    kernelCrashes: Count,
    serviceFailures: Count,
    unexpectedShutdowns: Count,
    probeFailures: Count,
    probeRuns: Count,
  },
  { additionalProperties: false },
);
export type HealthCounters = Static<typeof HealthCountersSchema>;

/** One counted event, listed for the incident and the host's health page (at most `Limits` per sample). */
export const HealthEventSchema = Type.Object(
  {
    kind: Type.Union(HEALTH_EVENT_KINDS.map((k) => Type.Literal(k))),
    at: Time,
    /** Process image, unit, probe name, or event provider/id. */
    subject: Type.String({ maxLength: 256 }),
    message: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);
export type HealthEvent = Static<typeof HealthEventSchema>;

export const MAX_HEALTH_EVENTS_PER_SAMPLE = 20;
export const MAX_HEALTH_SAMPLES_PER_FRAME = 500;

export const HealthSampleSchema = Type.Object(
  {
    seq: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    periodStart: Time,
    periodEnd: Time,
    bootId: Type.String({ maxLength: 128 }),
    uptimeSec: Type.Integer({ minimum: 0, maximum: 10 * 365 * 86_400 * 100 }),
    counters: HealthCountersSchema,
    unavailable: Type.Array(Type.Union(HEALTH_SOURCES.map((s) => Type.Literal(s))), { maxItems: HEALTH_SOURCES.length }),
    events: Type.Array(HealthEventSchema, { maxItems: MAX_HEALTH_EVENTS_PER_SAMPLE }),
  },
  { additionalProperties: false },
);
export type HealthSample = Static<typeof HealthSampleSchema>;

/** A probe as pushed to agents. */
export const ProbeConfigSchema = Type.Object(
  {
    id: Id,
    name: Type.String({ minLength: 1, maxLength: 100 }),
    kind: Type.Union([Type.Literal('http'), Type.Literal('tcp'), Type.Literal('command')]),
    timeoutMs: Type.Integer({ minimum: 100, maximum: 120_000 }),
    /** http: GET url, expected status (default 200), latency limit, body regex. */
    url: Type.Optional(Type.String({ maxLength: 2048, pattern: '^https?://' })),
    expectStatus: Type.Optional(Type.Integer({ minimum: 100, maximum: 599 })),
    maxLatencyMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 120_000 })),
    bodyMatch: Type.Optional(Type.String({ maxLength: 512 })),
    /** tcp: connect to host:port. */
    host: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_535 })),
    /** command: argv (no shell), expected exit code (default 0). */
    argv: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { minItems: 1, maxItems: 32 })),
    expectExit: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })),
  },
  { additionalProperties: false },
);
export type ProbeConfig = Static<typeof ProbeConfigSchema>;

/** Sample interval limits, seconds. */
export const HEALTH_INTERVAL = { defaultSec: 300, minSec: 1, maxSec: 86_400 } as const;

/**
 * What the controller signs with its command key for a `healthConfig` frame
 * (DESIGN.md, Trust): command probes are argv an agent runs as root, so a
 * config is trusted like a command, not merely because it came over the
 * pinned TLS link. Bound to one agent and stamped, so a config cannot be
 * given to another host or replayed over a newer one.
 */
export function healthConfigSigningPayload(agentId: string, config: { intervalSec: number; probes: readonly ProbeConfig[]; issuedAt: number }): Record<string, unknown> {
  return { purpose: 'patchfleet/health-config/1', agentId, issuedAt: config.issuedAt, intervalSec: config.intervalSec, probes: config.probes };
}

/** A `healthConfig` body signed with the command key for one agent (what the controller sends). */
export function signHealthConfig(agentId: string, config: { intervalSec: number; probes: ProbeConfig[]; issuedAt: number }, secretKey: string): { intervalSec: number; probes: ProbeConfig[]; issuedAt: number; signature: string } {
  return { ...config, signature: signCanonical(healthConfigSigningPayload(agentId, config), secretKey) };
}
