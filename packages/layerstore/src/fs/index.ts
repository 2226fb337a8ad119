// In-root filesystem helpers (containerd fs.RootPath semantics), shared by layer extraction and the
// builder's COPY/ADD. See ./resolve.ts for the contract.
export {
  MAX_SYMLINK_HOPS,
  cleanInRoot,
  isWithin,
  mkdirAllInRoot,
  mkdirAllInRootSync,
  resolveInRoot,
  resolveInRootSync,
  resolveParentInRoot,
  splitPath,
  type ParentResolution,
} from './resolve.js';
export { compareNames } from './compare-names.js';
export { copyUpDirs, lookupNewPath, type LowerDir, type NewPathLookup } from './lower-stack.js';
export { mknodSync, splitDev } from './mknod.js';
