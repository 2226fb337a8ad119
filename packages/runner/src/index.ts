// @tsbuild/runner: sandboxed RUN steps (namespaces, pivot_root, cgroups) and private mount sessions.
export { run } from './run.js';
export { openMountSession } from './mount-session.js';
export { resolveUser } from './user.js';
export * from './types.js';
export * from './errors.js';
