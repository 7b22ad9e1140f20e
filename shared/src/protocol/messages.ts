import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import { AGENT_COMMAND_STATES, CommandResultSchema, SignedCommandSchema } from './command';
import { HealthSampleSchema, MAX_HEALTH_SAMPLES_PER_FRAME, ProbeConfigSchema } from './health';
import { HostFactsSchema, PackageKeySchema, PackageSchema } from './inventory';
import { Limits } from './version';

const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });
const B64 = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '^[A-Za-z0-9+/]+={0,2}$' });
const Caps = Type.Array(Type.String({ maxLength: 64 }), { maxItems: 64 });
/** ms since epoch, no later than the year 9999 (what a database timestamp holds). */
const Time = Type.Integer({ minimum: 0, maximum: Limits.maxTimeMs });
/** Report sequence numbers: exact in a JS number and in a bigint column. */
const Seq = (minimum: number) => Type.Integer({ minimum, maximum: Number.MAX_SAFE_INTEGER });

/** Every frame: `{ v, type, id, ts, ... }`. `ts` is ms since epoch on the sender's clock. */
function frame<T extends string, P extends TProperties>(type: T, props: P) {
  return Type.Object(
    {
      v: Type.Integer({ minimum: 1, maximum: 1000 }),
      type: Type.Literal(type),
      id: Id,
      ts: Time,
      ...props,
    },
    { additionalProperties: false },
  );
}

/** agent -> controller: opens a session. */
export const HelloSchema = frame('hello', {
  agentId: Id,
  agentVersion: Type.String({ maxLength: 64 }),
  platform: Type.String({ maxLength: 32 }),
  capabilities: Caps,
});

/** controller -> agent: the nonce the agent must sign. */
export const ChallengeSchema = frame('challenge', {
  sessionId: Id,
  nonce: B64(128),
  capabilities: Caps,
});

/** agent -> controller: Ed25519 signature over `authChallengePayload(agentId, sessionId, nonce)`. */
export const AuthSchema = frame('auth', {
  agentId: Id,
  sessionId: Id,
  signature: B64(128),
});

/** controller -> agent: the session is authenticated. */
export const WelcomeSchema = frame('welcome', {
  agentId: Id,
  sessionId: Id,
  heartbeatSec: Type.Integer({ minimum: 1, maximum: 3600 }),
  /** Highest report sequence number the controller has stored for this agent (0: none). */
  lastAckedSeq: Seq(0),
  maxFrameBytes: Type.Integer({ minimum: 1024 }),
  capabilities: Caps,
  /**
   * Protocol 3, only to agents listing `inventory.epoch/1`: the outbox epoch
   * of the report `lastAckedSeq` counts in (absent: none known). An agent of
   * another epoch must not take `lastAckedSeq` as an acknowledgement.
   */
  epoch: Type.Optional(Id),
});

/**
 * agent -> controller: one part of an inventory report. A report has a
 * sequence number from the agent's outbox; it is split in `parts` frames
 * (part 0 carries the host facts). `full` replaces the host's package set;
 * `delta` upserts `packages` and deletes `removed` on top of report `baseSeq`.
 */
export const InventorySchema = frame('inventory', {
  seq: Seq(1),
  kind: Type.Union([Type.Literal('full'), Type.Literal('delta')]),
  baseSeq: Type.Optional(Seq(0)),
  /**
   * Protocol 3, only to controllers listing `inventory.epoch/1`: the random
   * id of the outbox numbering `seq` belongs to. A full report of an epoch
   * the controller does not hold is never taken for a duplicate.
   */
  epoch: Type.Optional(Id),
  part: Type.Integer({ minimum: 0 }),
  parts: Type.Integer({ minimum: 1, maximum: 500 }),
  /** Total packages in the whole report (full: the host's count; delta: upserts). */
  packageCount: Type.Integer({ minimum: 0, maximum: 2_147_483_647 }),
  collectedAt: Time,
  host: Type.Optional(HostFactsSchema),
  packages: Type.Array(PackageSchema, { maxItems: 5000 }),
  removed: Type.Optional(Type.Array(PackageKeySchema, { maxItems: 5000 })),
});

/** Either direction: liveness; the agent's carries a little state. */
export const HeartbeatSchema = frame('heartbeat', {
  uptimeSec: Type.Optional(Type.Integer({ minimum: 0 })),
  bootId: Type.Optional(Type.String({ maxLength: 128 })),
});

/** controller -> agent: report `seq` is stored; the agent may drop it from its outbox. */
export const AckSchema = frame('ack', {
  seq: Seq(1),
  /** id of the frame that completed the report */
  replyTo: Id,
});

/** Either direction: a refusal with a stable code. */
export const ErrorSchema = frame('error', {
  code: Type.String({ pattern: '^PF_ERR_[A-Z0-9_]+$', maxLength: 64 }),
  message: Type.String({ maxLength: 1024 }),
  retryable: Type.Boolean(),
  replyTo: Type.Optional(Id),
  /** Seconds to wait before reconnecting (PF_ERR_CONTROLLER_FULL); the agent adds jitter. */
  retryAfterSec: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
});

/**
 * controller -> agent: a signed command (protocol 2, capability `commands/1`).
 * `signature` is Ed25519 by the controller's command key over
 * `canonicalJson(commandSigningPayload(command))`. Sent again after a
 * reconnect until the agent reports a terminal state.
 */
export const CommandSchema = frame('command', {
  command: SignedCommandSchema,
  signature: B64(128),
});

/**
 * agent -> controller: where a command stands on the agent. Sent when it is
 * accepted (`acknowledged`), started (`running`) and finished; terminal
 * states come from the agent's journal and are repeated until receipted.
 */
export const CommandStatusSchema = frame('commandStatus', {
  commandId: Id,
  state: Type.Union(AGENT_COMMAND_STATES.map((s) => Type.Literal(s))),
  /** When the agent reached this state (agent clock, ms). */
  at: Time,
  error: Type.Optional(Type.Object({ code: Type.String({ pattern: '^PF_ERR_[A-Z0-9_]+$', maxLength: 64 }), message: Type.String({ maxLength: 2048 }) }, { additionalProperties: false })),
  result: Type.Optional(CommandResultSchema),
});

/** controller -> agent: the terminal status of `commandId` is stored; the agent stops repeating it. */
export const CommandReceiptSchema = frame('commandReceipt', {
  commandId: Id,
});

/**
 * agent -> controller (protocol 4, capability `health/1`): health samples
 * from the agent's health outbox, oldest first, all of one outbox `epoch`.
 */
export const HealthFrameSchema = frame('health', {
  epoch: Id,
  samples: Type.Array(HealthSampleSchema, { minItems: 1, maxItems: MAX_HEALTH_SAMPLES_PER_FRAME }),
});

/** controller -> agent: every health sample of `epoch` up to `seq` is stored; the agent drops them. */
export const HealthAckSchema = frame('healthAck', {
  epoch: Id,
  seq: Seq(0),
  replyTo: Id,
});

/**
 * controller -> agent: the sample interval and the probes that apply to this
 * host (replaces the previous config). `signature` is the controller's
 * command key over `canonicalJson(healthConfigSigningPayload(agentId, ...))`
 * (command probes run as root); the agent refuses a config that does not
 * verify or is older than the one it holds (`issuedAt`, controller clock).
 */
export const HealthConfigSchema = frame('healthConfig', {
  intervalSec: Type.Integer({ minimum: 1, maximum: 86_400 }),
  probes: Type.Array(ProbeConfigSchema, { maxItems: 64 }),
  issuedAt: Time,
  signature: B64(128),
});

export const MessageSchemas = {
  hello: HelloSchema,
  challenge: ChallengeSchema,
  auth: AuthSchema,
  welcome: WelcomeSchema,
  inventory: InventorySchema,
  heartbeat: HeartbeatSchema,
  ack: AckSchema,
  error: ErrorSchema,
  command: CommandSchema,
  commandStatus: CommandStatusSchema,
  commandReceipt: CommandReceiptSchema,
  health: HealthFrameSchema,
  healthAck: HealthAckSchema,
  healthConfig: HealthConfigSchema,
} satisfies Record<string, TObject>;

export type MessageType = keyof typeof MessageSchemas;
export type Hello = Static<typeof HelloSchema>;
export type Challenge = Static<typeof ChallengeSchema>;
export type Auth = Static<typeof AuthSchema>;
export type Welcome = Static<typeof WelcomeSchema>;
export type InventoryFrame = Static<typeof InventorySchema>;
export type Heartbeat = Static<typeof HeartbeatSchema>;
export type Ack = Static<typeof AckSchema>;
export type ErrorFrame = Static<typeof ErrorSchema>;
export type CommandFrame = Static<typeof CommandSchema>;
export type CommandStatusFrame = Static<typeof CommandStatusSchema>;
export type HealthFrame = Static<typeof HealthFrameSchema>;
export type HealthAckFrame = Static<typeof HealthAckSchema>;
export type HealthConfigFrame = Static<typeof HealthConfigSchema>;
export type Message = { [K in MessageType]: Static<(typeof MessageSchemas)[K]> }[MessageType];
export type MessageOf<K extends MessageType> = Static<(typeof MessageSchemas)[K]>;
/** A message before the envelope fields are filled in. */
export type Body<K extends MessageType> = Omit<MessageOf<K>, 'v' | 'type' | 'id' | 'ts'>;
