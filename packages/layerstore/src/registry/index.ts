// Registry transfer: references, pull, push, login/logout. The rules (credentials, insecure
// registries, limits, retries) are in docs/registry.md.
export { parseReference, DEFAULT_REGISTRY, DEFAULT_TAG, type Reference as ImageReference } from './reference.js';
export { pull, type PullResult } from './pull.js';
export { push, type PushResult } from './push.js';
export { login, logout } from './login.js';
export { LIMITS as REGISTRY_LIMITS } from './media-types.js';
export type {
  Credentials, RetryOptions, TransportOptions, PullOptions, PushOptions, LoginOptions, TransferProgress, TransferPhase,
} from './options.js';
