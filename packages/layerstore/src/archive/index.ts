// Image archives: save (OCI layout / docker-load / both in one tar) and load.
export { saveImages } from './save.js';
export { loadArchive } from './load.js';
export { entryKey } from './read-archive.js';
