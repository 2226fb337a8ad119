// Owned by the blobs area; the package's public surface re-exports it from ../index.ts.
export {};
