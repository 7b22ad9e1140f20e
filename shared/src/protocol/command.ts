/**
 * Signed commands: what the controller orders and the agent carries out.
 * The controller signs the canonical JSON of a {@link SignedCommand} with its
 * command key; the agent checks the signature against the key it pinned at
 * enrollment, its own id, `notAfter` and its journal before acting.
 */
import { Type, type Static } from '@sinclair/typebox';

const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });

/** What a command may order. */
export const COMMAND_ACTIONS = ['install', 'rollback', 'reboot', 'update-agent'] as const;
export type CommandAction = (typeof COMMAND_ACTIONS)[number];

/** One Debian package at one exact version. */
export const PackageVersionSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    version: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);

export type PackageVersion = Static<typeof PackageVersionSchema>;

/** A package change made by an install: versions, null meaning "not installed". */
export const ReplacementSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    from: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]),
    to: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type Replacement = Static<typeof ReplacementSchema>;

/** Seconds a new agent has to confirm a healthy session before the old one puts itself back (update-agent). */
export const UPDATE_CONFIRM_SEC = { default: 300, min: 10, max: 3600 } as const;

/**
 * Parameters of a command. install: `packages` (apt/dpkg) or `kb` (+ `msuPath`)
 * (Windows). rollback: `replaced` as the install reported it (apt/dpkg) or
 * `kb` (Windows). reboot: `reason`, `delaySec`. update-agent: `version`,
 * `manifest` (the signed metadata's file name), `file`, `sha256` and `size`
 * of this host's executable (the agent trusts only the signed metadata;
 * these let it refuse early and name what it expects), `confirmWithinSec`.
 */
export const CommandParamsSchema = Type.Object(
  {
    packages: Type.Optional(Type.Array(PackageVersionSchema, { minItems: 1, maxItems: 500 })),
    replaced: Type.Optional(Type.Array(ReplacementSchema, { maxItems: 500 })),
    kb: Type.Optional(Type.String({ pattern: '^KB[0-9]{6,8}$' })),
    msuPath: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
    delaySec: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
    version: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}\\.[0-9]{1,6}\\.[0-9]{1,6}$' })),
    manifest: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' })),
    file: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' })),
    sha256: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
    size: Type.Optional(Type.Integer({ minimum: 1 })),
    confirmWithinSec: Type.Optional(Type.Integer({ minimum: UPDATE_CONFIRM_SEC.min, maximum: UPDATE_CONFIRM_SEC.max })),
  },
  { additionalProperties: false },
);
export type CommandParams = Static<typeof CommandParamsSchema>;

/** The signed part of a command (DESIGN.md, Trust). Times are ms since epoch. */
export const SignedCommandSchema = Type.Object(
  {
    commandId: Id,
    agentId: Id,
    action: Type.Union(COMMAND_ACTIONS.map((a) => Type.Literal(a))),
    /** What the command is about: a patch id (USN-7604-1, KB5072033) or a short label. */
    target: Type.String({ minLength: 1, maxLength: 200 }),
    params: CommandParamsSchema,
    issuedAt: Type.Integer({ minimum: 0 }),
    notAfter: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type SignedCommand = Static<typeof SignedCommandSchema>;

/** What the agent reports about a command it holds. `refused`: it did not run (bad signature, expired, ...). */
export const AGENT_COMMAND_STATES = ['acknowledged', 'running', 'succeeded', 'failed', 'refused'] as const;
export type AgentCommandState = (typeof AGENT_COMMAND_STATES)[number];

/** Outcome details of a finished command. */
export const CommandResultSchema = Type.Object(
  {
    replaced: Type.Optional(Type.Array(ReplacementSchema, { maxItems: 500 })),
    rebootRequired: Type.Optional(Type.Boolean()),
    exitCode: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    /** Tool output, truncated by the agent. */
    output: Type.Optional(Type.String({ maxLength: 65_536 })),
    durationMs: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type CommandResult = Static<typeof CommandResultSchema>;

/** Domain-separated payload the command key signs: the command itself, tagged. */
export function commandSigningPayload(command: SignedCommand): Record<string, unknown> {
  return { purpose: 'patchfleet/command/1', ...command };
}

/** Terminal states an agent reports; the controller answers each with `commandReceipt`. */
export function isTerminalAgentState(state: AgentCommandState): boolean {
  return state === 'succeeded' || state === 'failed' || state === 'refused';
}
