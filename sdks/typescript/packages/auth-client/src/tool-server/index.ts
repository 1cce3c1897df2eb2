// @archon/auth-client/tool-server: what a tool server needs to decide offline.
export * from './restrictions.js';
export * from './restrictions-policy.js';
export * from './verify.js';
