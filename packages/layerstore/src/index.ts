// @tsbuild/layerstore: the whole public surface.
//
// Start-up cost matters here (a cached rebuild is mostly Node starting and loading modules): the
// registry client (http, https, tls), layer generation and extraction (tar-stream, zlib, zstd),
// archives and store management load on first call, through the async wrappers at the end of this
// file. Their types are exported as usual.
export * from './types.js';
export * from './errors.js';
export * from './blobs/index.js';
export * from './images/index.js';
export * from './fs/index.js';
export * from './store.js';
export * from './cache/index.js';
export { defaultRoot, storePaths, type StorePaths } from './store-layout.js';
export { FileLock, RwLock, ProcessLease } from './lock/index.js';
export { lstatDir, LSTAT_DIR_STRIDE, type DirStats } from './fs/lstat-dir.js';

// Light values of the lazy parts (no heavy imports behind them).
export { parseReference, DEFAULT_REGISTRY, DEFAULT_TAG, type Reference as ImageReference } from './registry/reference.js';
export { LIMITS as REGISTRY_LIMITS } from './registry/media-types.js';
export { markLive, referencesOf } from './manage/live-set.js';
export { SNAPSHOT_NAME_HEX } from './layers/snapshots.js';
export { DEFAULT_LIMITS as DEFAULT_EXTRACT_LIMITS, type ExtractLimits } from './layers/extract/limits.js';

export type { PullResult } from './registry/pull.js';
export type { PushResult } from './registry/push.js';
export type {
  Credentials, RetryOptions, TransportOptions, PullOptions, PushOptions, LoginOptions, TransferProgress, TransferPhase,
} from './registry/options.js';
export type { PruneOptions, PruneResult } from './manage/prune.js';
export type { LayerMaintenance, LayerProblem } from './manage/layer-gc.js';
export type { Problem, VerifyResult } from './manage/verify.js';
export type { ImageSummary, InspectResult, HistoryRow, RemoveResult } from './manage/images.js';
export type { LayerDeps, LayerStore } from './layers/create-layers.js';
export type { ExtractOptions, ExtractResult } from './layers/extract/extract-tar.js';
export type { ApplyMode } from './layers/extract/applier.js';

import type * as Registry from './registry/index.js';
import type * as Manage from './manage/index.js';
import type * as Archive from './archive/index.js';
import type * as LayersModule from './layers/index.js';

/** An async function of a module loaded on first call. */
function lazy<M, K extends keyof M>(load: () => Promise<M>, name: K): M[K] {
  return (async (...args: unknown[]) => ((await load())[name] as (...a: unknown[]) => unknown)(...args)) as M[K];
}
const registry = (): Promise<typeof Registry> => import('./registry/index.js');
const manage = (): Promise<typeof Manage> => import('./manage/index.js');
const archive = (): Promise<typeof Archive> => import('./archive/index.js');
const layers = (): Promise<typeof LayersModule> => import('./layers/index.js');

export const pull = lazy(registry, 'pull');
export const push = lazy(registry, 'push');
export const login = lazy(registry, 'login');
export const logout = lazy(registry, 'logout');
export const prune = lazy(manage, 'prune');
export const verify = lazy(manage, 'verify');
export const listImages = lazy(manage, 'listImages');
export const inspectImage = lazy(manage, 'inspectImage');
export const imageHistory = lazy(manage, 'imageHistory');
export const tagImage = lazy(manage, 'tagImage');
export const removeImage = lazy(manage, 'removeImage');
export const saveImages = lazy(archive, 'saveImages');
export const loadArchive = lazy(archive, 'loadArchive');
export const extractTarInto = lazy(layers, 'extractTarInto');
