/** Formats of Windows command output that both the agent and the controller read. */
export { decodeShellOutput } from './decode-text';
export { jsonErrorOffset } from './json-error-offset';
export * from './ps-json';
export * from './ps-date';
export { normalizeKb, parseHotFixJson, parseHotFixRecords, parseInstalledOn, type HotFix } from './hotfix-json';
