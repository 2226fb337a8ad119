// Owned by the images area; the package's public surface re-exports it from ../index.ts.
export {};
