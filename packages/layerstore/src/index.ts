// @tsbuild/layerstore: the whole public surface.
export * from './types.js';
export * from './errors.js';
export * from './blobs/index.js';
export * from './layers/index.js';
export * from './images/index.js';
export * from './archive/index.js';
export * from './registry/index.js';
export * from './fs/index.js';
