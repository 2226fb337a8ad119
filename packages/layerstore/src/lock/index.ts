export { FileLock, Mutex, type LockMode } from './file-lock.js';
export { RwLock } from './rw-lock.js';
export { ProcessLease, recoverDeadProcesses, readLiveLeases, isLiveTmpEntry } from './process-lease.js';
