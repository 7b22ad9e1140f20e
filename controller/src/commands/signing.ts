/** Builds and signs the exact payload agents verify (DESIGN.md, Trust). node:crypto Ed25519: the hot path signs one per host of a wave. */
import { canonicalJson, commandSigningPayload, nodeEd25519, signCanonical, type CommandParams, type SignedCommand } from '@patchfleet/shared';

/** The stored fields a signature covers. */
export interface CommandFields {
  id: string;
  hostId: string;
  action: SignedCommand['action'];
  target: string;
  params: CommandParams;
  issuedAt: Date;
  notAfter: Date;
}

/** The signed command as it goes on the wire, rebuilt from a stored row. */
export function signedCommandOf(row: CommandFields): SignedCommand {
  return {
    commandId: row.id,
    agentId: row.hostId,
    action: row.action,
    target: row.target,
    params: row.params,
    issuedAt: row.issuedAt.getTime(),
    notAfter: row.notAfter.getTime(),
  };
}

/** base64 Ed25519 signature of the command under the controller's command key. */
export function signCommand(command: SignedCommand, secretKey: string): string {
  return signCanonical(commandSigningPayload(command), secretKey);
}

/**
 * The canonical JSON of {@link commandSigningPayload} for these fields, written
 * out directly: the keys in their sorted order, strings and numbers as
 * `JSON.stringify` writes them, `params` through {@link canonicalJson}
 * (`paramsJson`, when given, is that already computed: a wave gives every
 * host the same params). Byte for byte what `canonicalJson` makes of the
 * payload (signing.test.ts holds the two together); it skips building the
 * payload object, listing and sorting its keys, once per command.
 */
export function commandPayloadJson(f: CommandFields, paramsJson: string = canonicalJson(f.params)): string {
  const issuedAt = f.issuedAt.getTime();
  const notAfter = f.notAfter.getTime();
  if (!Number.isFinite(issuedAt) || !Number.isFinite(notAfter)) throw new TypeError('canonical JSON: non-finite number');
  return `{"action":${JSON.stringify(f.action)},"agentId":${JSON.stringify(f.hostId)},"commandId":${JSON.stringify(f.id)},"issuedAt":${issuedAt},"notAfter":${notAfter},"params":${paramsJson},"purpose":"patchfleet/command/1","target":${JSON.stringify(f.target)}}`;
}

/**
 * Signs many commands: {@link signCommand} for each, with the canonical JSON
 * written by {@link commandPayloadJson} and each distinct `params` object
 * encoded once.
 */
export function signCommands(fields: readonly CommandFields[], secretKey: string): string[] {
  const paramsJson = new Map<CommandParams, string>();
  return fields.map((f) => {
    let params = paramsJson.get(f.params);
    if (params === undefined) {
      params = canonicalJson(f.params);
      paramsJson.set(f.params, params);
    }
    return nodeEd25519.sign(Buffer.from(commandPayloadJson(f, params), 'utf8'), secretKey);
  });
}
