// Overlays are mounted with `volatile` (native/overlay.c): unmounting them does not sync the store's
// filesystem. Each such mount leaves <work>/work/incompat/volatile/dirty behind, and overlayfs refuses
// any later mount of that work dir while it is there: the kernel's way of saying "this upper dir may
// be torn after a crash". The runner removes it after a clean unmount in this process (the page cache
// is consistent then; only a power loss or kernel crash could tear the upper dir, and the layer store
// handles that with its boot-id record), so a step may mount the same upper and work dirs again (RUN
// --mount prepares its targets in one overlay, then runs in another).
import { rmdirSync, unlinkSync } from 'node:fs';

export function clearVolatileMarker(workDir: string): void {
  const incompat = `${workDir}/work/incompat`;
  for (const remove of [() => unlinkSync(`${incompat}/volatile/dirty`), () => rmdirSync(`${incompat}/volatile`), () => rmdirSync(incompat)]) {
    try {
      remove();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // absent: a kernel without volatile, or nothing was mounted; not empty: another incompat
      // feature we do not know, which overlayfs should keep refusing
      if (code !== 'ENOENT' && code !== 'ENOTEMPTY') throw e;
    }
  }
}
