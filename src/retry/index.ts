// telltale/retry: the delays of a retry loop: capped exponential backoff with jitter, and Retry-After.

export { type Backoff, type BackoffOptions, createBackoff, parseRetryAfter } from './backoff.js';
