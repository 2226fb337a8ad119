// Layer media types and the compression each one implies.
import type { Compression } from '../types.js';

export const MEDIA_TYPE_TAR = 'application/vnd.oci.image.layer.v1.tar';
export const MEDIA_TYPE_TAR_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const MEDIA_TYPE_TAR_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';

export function mediaTypeFor(c: Compression): string {
  return c === 'gzip' ? MEDIA_TYPE_TAR_GZIP : c === 'zstd' ? MEDIA_TYPE_TAR_ZSTD : MEDIA_TYPE_TAR;
}

/**
 * The compression a layer media type declares, covering OCI (incl. non-distributable) and Docker names;
 * undefined when the type is not a layer type we know (callers then sniff the bytes).
 */
export function compressionOf(mediaType: string): Compression | undefined {
  if (/[+.]gzip$/.test(mediaType)) return 'gzip';
  if (/[+.]zstd$/.test(mediaType)) return 'zstd';
  if (/\.tar$/.test(mediaType) || mediaType.endsWith('.layer.v1.tar')) return 'none';
  return undefined;
}
