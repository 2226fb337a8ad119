// The image config as cache-key inputs: every field a later step could depend on or that a
// person changed (ENV, USER, WORKDIR, SHELL, and also LABEL, HEALTHCHECK, ONBUILD, STOPSIGNAL...).
// Keeping them all in every file step's key makes a metadata change rebuild that step and the later
// ones (SECURITY DF-05, CVE-2024-24557), and lets a miss name the field ("env VERSION changed").
import type { ContainerConfig } from '@tsbuild/layerstore';

export function configInputs(cc: ContainerConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, value] of Object.entries(cc)) {
    if (value === undefined) continue;
    if (field === 'Env' && Array.isArray(value)) {
      for (const e of value as string[]) {
        const i = e.indexOf('=');
        out[`env:${i < 0 ? e : e.slice(0, i)}`] = i < 0 ? '' : e.slice(i + 1);
      }
      continue;
    }
    out[`config:${field}`] = JSON.stringify(value);
  }
  return out;
}
