import { canonicalBytes } from './canonical-json';
import { nodeEd25519, type Ed25519 } from './ed25519';

/** Signs the canonical JSON of `value`; returns base64. */
export function signCanonical(value: unknown, secretKey: string, impl: Ed25519 = nodeEd25519): string {
  return impl.sign(canonicalBytes(value), secretKey);
}

export function verifyCanonical(value: unknown, signature: string, publicKey: string, impl: Ed25519 = nodeEd25519): boolean {
  return impl.verify(canonicalBytes(value), signature, publicKey);
}

/** What an agent signs to answer a session challenge; binds the nonce to this agent and session. */
export function authChallengePayload(agentId: string, sessionId: string, nonce: string): Record<string, string> {
  return { purpose: 'patchfleet/agent-auth/1', agentId, sessionId, nonce };
}
