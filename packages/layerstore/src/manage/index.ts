// Store management for the CLI (images, inspect, history, tag, rmi, prune, verify).
export { prune, type PruneOptions, type PruneResult } from './prune.js';
export { type LayerMaintenance, type LayerProblem } from './layer-gc.js';
export { markLive, referencesOf } from './live-set.js';
export { verify, type Problem, type VerifyResult } from './verify.js';
export { listImages, inspectImage, imageHistory, tagImage, removeImage, type ImageSummary, type InspectResult, type HistoryRow, type RemoveResult } from './images.js';
