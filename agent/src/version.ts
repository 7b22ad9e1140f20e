/** Set by the build (esbuild `define`, agent/scripts/sea/release-key.ts); absent when run from source. */
declare const __PF_AGENT_VERSION__: string | undefined;
declare const __PF_RELEASE_PUBLIC_KEY__: string | undefined;

/** The version of the source tree; a build may override it (PATCHFLEET_AGENT_VERSION). */
const SOURCE_VERSION = '0.1.0';

/** Version of this agent build, reported in hello and at enrollment. */
export const AGENT_VERSION: string = typeof __PF_AGENT_VERSION__ === 'string' ? __PF_AGENT_VERSION__ : SOURCE_VERSION;

/**
 * The release public key (base64 Ed25519) pinned at build time; undefined
 * when running from source, where self-update is refused.
 */
export const RELEASE_PUBLIC_KEY: string | undefined = typeof __PF_RELEASE_PUBLIC_KEY__ === 'string' ? __PF_RELEASE_PUBLIC_KEY__ : undefined;
