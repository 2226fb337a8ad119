// The layers area: commit (upper dir → layer), snapshots, import, compression variants, and the safe
// tar extractor. docs/layers.md describes formats, whiteouts, limits and on-disk naming.
export { createLayers, type LayerDeps, type LayerStore } from './create-layers.js';
export { extractTarInto, type ExtractOptions, type ExtractResult } from './extract/extract-tar.js';
export { DEFAULT_LIMITS as DEFAULT_EXTRACT_LIMITS, type ExtractLimits } from './extract/limits.js';
export type { ApplyMode } from './extract/applier.js';
export { SNAPSHOT_NAME_HEX } from './snapshots.js';
