// Owned by the archive area; the package's public surface re-exports it from ../index.ts.
export {};
