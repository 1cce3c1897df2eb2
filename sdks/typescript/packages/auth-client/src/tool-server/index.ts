export * from './restrictions.js';
export * from './restrictions-policy.js';
