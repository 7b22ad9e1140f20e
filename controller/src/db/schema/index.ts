export * from './hosts';
export * from './agent-keys';
export * from './enrollment-tokens';
export * from './inventory-snapshots';
export * from './installed-packages';
export * from './host-sessions';
export * from './audit-log';
export * from './api-tokens';
