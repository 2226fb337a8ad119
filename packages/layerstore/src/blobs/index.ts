// Content-addressed blobs: digest validation, verifying streams, the filesystem blob store.
export { parseDigest, validateDigest, validateSize, blobPath } from './digest.js';
export { createHashTap, createVerifyStream, type HashTap } from './verify-stream.js';
export { FsBlobStore, type BlobStoreDeps } from './fs-blob-store.js';
export { fsyncDir } from './fsync-dir.js';
