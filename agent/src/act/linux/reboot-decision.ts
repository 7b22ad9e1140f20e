/** When the agent may reboot a host after installing patches (set by rollout policy). */
export type RebootPolicy = 'never' | 'when-required' | 'always';

/**
 * Whether to reboot now. `never` wins even when the OS asks for a reboot: the
 * host then keeps reporting reboot-required and an operator decides.
 */
export function rebootDecision(policy: RebootPolicy, rebootRequired: boolean): boolean {
  switch (policy) {
    case 'never':
      return false;
    case 'when-required':
      return rebootRequired;
    case 'always':
      return true;
  }
}
