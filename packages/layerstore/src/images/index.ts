// Images: names, the store's index.json, image records.
export { normalizeTag, tryNormalizeTag, familiarName, splitTag, REF_NAME, CONTAINERD_NAME } from './names.js';
export { IndexFile, type OciIndex, checkIndex, checkDescriptor, entryName } from './oci-index.js';
export { readImage, checkManifest, checkConfig, imageDigests, hostPlatform } from './records.js';
export { StoreImages, type ImagesDeps } from './store-images.js';
