// The package's declarations cover its index only; these are the files systeminformation.ts imports.
declare module 'systeminformation/lib/cpu.js' {
  import type { Systeminformation } from 'systeminformation';
  export function cpu(): Promise<Systeminformation.CpuData>;
}
declare module 'systeminformation/lib/filesystem.js' {
  import type { Systeminformation } from 'systeminformation';
  export function blockDevices(): Promise<Systeminformation.BlockDevicesData[]>;
}
declare module 'systeminformation/lib/system.js' {
  import type { Systeminformation } from 'systeminformation';
  export function system(): Promise<Systeminformation.SystemData>;
}
declare module 'systeminformation/lib/users.js' {
  import type { Systeminformation } from 'systeminformation';
  export function users(): Promise<Systeminformation.UserData[]>;
}
