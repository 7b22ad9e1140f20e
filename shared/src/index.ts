export * from './errors';
export * from './clock';
export * from './protocol/index';
export * from './crypto/index';
export * from './tls/pinned-agent';
export * from './fs/atomic-write';
export * from './debversion/index';
