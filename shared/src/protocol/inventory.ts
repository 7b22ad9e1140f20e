import { Type, type Static } from '@sinclair/typebox';

const Str = (max = 512) => Type.String({ maxLength: max });
const OptStr = (max = 512) => Type.Optional(Type.String({ maxLength: max }));
const Count = Type.Integer({ minimum: 0 });

/** One installed package, as the host's package manager sees it. */
export const PackageSchema = Type.Object(
  {
    /** Binary package name (dpkg `Package`, rpm `NAME`). */
    name: Type.String({ minLength: 1, maxLength: 256 }),
    version: Type.String({ minLength: 1, maxLength: 256 }),
    /** Source package name; equals `name` when the manager has no notion of it. */
    sourceName: Type.String({ minLength: 1, maxLength: 256 }),
    sourceVersion: Type.String({ minLength: 1, maxLength: 256 }),
    arch: Type.String({ maxLength: 64 }),
    manager: Type.Union([Type.Literal('dpkg'), Type.Literal('rpm'), Type.Literal('windows')]),
  },
  { additionalProperties: false },
);
export type Package = Static<typeof PackageSchema>;

/** Identity of a package on a host: one version per (manager, name, arch). */
export const PackageKeySchema = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 256 }), arch: Type.String({ maxLength: 64 }), manager: PackageSchema.properties.manager },
  { additionalProperties: false },
);
export type PackageKey = Static<typeof PackageKeySchema>;

export const packageKey = (p: PackageKey): string => `${p.manager}\u0000${p.name}\u0000${p.arch}`;

/** Facts about a host that are small enough to send whole in every report. */
export const HostFactsSchema = Type.Object(
  {
    hostname: Str(255),
    fqdn: OptStr(255),
    os: Type.Object({
      platform: Type.Union([Type.Literal('linux'), Type.Literal('windows'), Type.Literal('darwin'), Type.Literal('other')]),
      /** e.g. "ubuntu", "debian", "rhel", "windows" */
      id: Str(64),
      name: Str(255),
      /** e.g. "24.04", "12", "10.0.26100" */
      version: Str(64),
      codename: OptStr(64),
      kernel: Str(255),
      arch: Str(32),
      /** Windows only: build and update build revision, e.g. "26100" and 4946. */
      build: OptStr(32),
      ubr: Type.Optional(Count),
    }),
    hardware: Type.Object({ vendor: Str(255), model: Str(255), serial: Str(255), virtual: Type.Optional(Type.Boolean()) }),
    cpu: Type.Object({ brand: Str(255), cores: Count, physicalCores: Count, speedGHz: Type.Number({ minimum: 0 }) }),
    memory: Type.Object({ totalBytes: Count }),
    disks: Type.Array(
      Type.Object({ name: Str(255), type: Str(64), sizeBytes: Count, mount: OptStr(1024), usedBytes: Type.Optional(Count) }),
      { maxItems: 256 },
    ),
    network: Type.Array(
      Type.Object({
        iface: Str(255),
        mac: Str(64),
        ipv4: Type.Array(Str(64), { maxItems: 64 }),
        ipv6: Type.Array(Str(64), { maxItems: 64 }),
        internal: Type.Boolean(),
        virtual: Type.Optional(Type.Boolean()),
      }),
      { maxItems: 256 },
    ),
    bootId: Str(128),
    /** Boot time, ms since epoch. */
    bootTime: Type.Integer({ minimum: 0, maximum: 253_402_300_799_999 }),
    uptimeSec: Count,
    users: Type.Array(Type.Object({ user: Str(255), tty: OptStr(64), host: OptStr(255), loginAt: OptStr(64) }), { maxItems: 512 }),
    pendingReboot: Type.Object({ required: Type.Boolean(), reasons: Type.Array(Str(512), { maxItems: 64 }) }),
    /** Package managers whose packages are listed in the report. */
    packageManagers: Type.Array(PackageSchema.properties.manager, { maxItems: 4 }),
  },
  { additionalProperties: true },
);
export type HostFacts = Static<typeof HostFactsSchema>;

/** A whole inventory as the agent collects it (before chunking). */
export interface Inventory {
  host: HostFacts;
  packages: Package[];
}
