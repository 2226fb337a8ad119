export { StoreCacheRecords, type CacheDeps, type CacheEntryInfo } from './cache-records.js';
