export * from './canonical-json';
export * from './ed25519';
export * from './tokens';
export * from './signed';
export * from './key-checks';
