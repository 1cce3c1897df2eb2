export { ArchonAuthClient, resolveBaseURL } from './client.js';
export { ArchonAuthError, isArchonAuthError, parseRetryAfter, type RateLimitInfo } from './errors.js';
export { toCamel, toSnake } from './case.js';
export type { Meta, Pagination } from './http.js';
export { MemoryStorage } from './types.js';
export type * from './types.js';
import { ArchonAuthClient } from './client.js';
export default ArchonAuthClient;
