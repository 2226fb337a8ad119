// Owned by the layers area; the package's public surface re-exports it from ../index.ts.
export {};
