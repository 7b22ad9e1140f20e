// The package's declarations cover its index only; these are the files systeminformation.ts imports.
declare module 'systeminformation/lib/cpu.js' {
  export function cpu(): Promise<import('systeminformation').Systeminformation.CpuData>;
}
declare module 'systeminformation/lib/filesystem.js' {
  export function blockDevices(): Promise<import('systeminformation').Systeminformation.BlockDevicesData[]>;
}
declare module 'systeminformation/lib/system.js' {
  export function system(): Promise<import('systeminformation').Systeminformation.SystemData>;
}
declare module 'systeminformation/lib/users.js' {
  export function users(): Promise<import('systeminformation').Systeminformation.UserData[]>;
}
