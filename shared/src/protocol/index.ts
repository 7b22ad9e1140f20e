export * from './version';
export * from './inventory';
export * from './messages';
export * from './codec';
export * from './command';
export * from './storable';
export * from './health';
