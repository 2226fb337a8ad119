// Platforms (`linux/arm64/v8`) and the automatic platform ARGs BuildKit defines.

import type { Platform } from './types.js';

export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

export function formatPlatform(p: Platform): string {
  return p.variant === undefined || p.variant === '' ? `${p.os}/${p.architecture}` : `${p.os}/${p.architecture}/${p.variant}`;
}

const PART = /^[a-z0-9_.-]+$/;

/** `os/arch[/variant]`, lower-cased; undefined when malformed. */
export function parsePlatform(text: string): Platform | undefined {
  const parts = text.trim().toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || !parts.every((p) => PART.test(p))) return undefined;
  const p: Platform = { os: parts[0]!, architecture: parts[1]! };
  if (parts[2] !== undefined) p.variant = parts[2];
  return p;
}

/** TARGETPLATFORM, TARGETOS, ... BUILDVARIANT: global-scope ARGs every build defines. */
export function platformArgs(target: Platform, build: Platform): Record<string, string> {
  return {
    BUILDPLATFORM: formatPlatform(build),
    BUILDOS: build.os,
    BUILDARCH: build.architecture,
    BUILDVARIANT: build.variant ?? '',
    TARGETPLATFORM: formatPlatform(target),
    TARGETOS: target.os,
    TARGETARCH: target.architecture,
    TARGETVARIANT: target.variant ?? '',
  };
}

export const PLATFORM_ARG_NAMES: ReadonlySet<string> = new Set(Object.keys(platformArgs(DEFAULT_PLATFORM, DEFAULT_PLATFORM)));
