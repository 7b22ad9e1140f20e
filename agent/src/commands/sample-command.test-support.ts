/** A minimal signed-command body for executor tests (no signature: executors run after verification). */
import type { SignedCommand } from '@patchfleet/shared';

export function sampleCommand(action: SignedCommand['action'], params: SignedCommand['params']): SignedCommand {
  return { commandId: 'cmd_1', agentId: 'a1', action, target: 't', params, issuedAt: 0, notAfter: 1 };
}
