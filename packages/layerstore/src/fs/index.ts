// Owned by the fs area; the package's public surface re-exports it from ../index.ts.
export {};
