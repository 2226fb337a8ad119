// @tsbuild/layerstore: the whole public surface.
export * from './types.js';
export * from './errors.js';
export * from './blobs/index.js';
export * from './layers/index.js';
export * from './images/index.js';
export * from './archive/index.js';
export * from './registry/index.js';
export * from './fs/index.js';
export * from './store.js';
export * from './cache/index.js';
export * from './manage/index.js';
export { defaultRoot, storePaths, type StorePaths } from './store-layout.js';
export { FileLock, RwLock, ProcessLease } from './lock/index.js';
