import type { WindowsOsFacts } from './os';
import type { UpdateHistoryEntry } from './update-history';

/**
 * Whether the host is enrolled in hotpatching: true, false, or null when the
 * host cannot tell.
 *
 * Enrollment itself lives outside the host: a Windows Autopatch quality
 * update policy with hotpatch on (Windows 11 Enterprise 24H2), Azure Update
 * Manager (Windows Server 2022 Datacenter: Azure Edition) or Azure Arc
 * (Windows Server 2025). Microsoft documents no registry value that says
 * "enrolled". What the host does show:
 *
 * - the documented prerequisites. Hotpatch updates are only offered when
 *   virtualization-based security is running (Win32_DeviceGuard
 *   VirtualizationBasedSecurityStatus = 2), and on Arm64 only when CHPE is
 *   disabled (Memory Management\HotPatchRestrictions = 1); there is no
 *   hotpatch before build 20348 (Server 2022) or, on clients, before 26100
 *   (Windows 11 24H2). A host missing one of these is not receiving hotpatches
 *   whatever a policy says: false.
 * - evidence: an update whose title names a hotpatch ("... Security Hotpatch
 *   Update ...") installed successfully: true.
 * - otherwise null: eligible, but nothing shows whether a policy applies
 *   (for instance in a baseline month, before the first hotpatch).
 */
export function deriveHotpatchEnrolled(os: WindowsOsFacts, history: readonly UpdateHistoryEntry[] | null): boolean | null {
  const build = Number(os.build);
  if (build < 20348) return false;
  if (os.installationType === 'Client' && build < 26100) return false;
  if (os.vbsStatus !== null && os.vbsStatus !== 2) return false;
  if (os.architecture.toUpperCase() === 'ARM64' && os.hotPatchRestrictions !== 1) return false;
  const hotpatched = (history ?? []).some(
    (e) => e.operation === 'install' && (e.result === 'succeeded' || e.result === 'succeeded-with-errors') && /hotpatch/i.test(e.title),
  );
  return hotpatched ? true : null;
}
