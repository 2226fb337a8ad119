// SIGINT/SIGTERM → one AbortSignal for the running command. The first signal asks for a clean stop
// (runs killed, work areas removed, locks released); a second one exits at once.
import { EXIT } from '../errors.js';

export interface Interrupt {
  signal: AbortSignal;
  /** The exit code the received signal calls for, or undefined when none came. */
  exitCode(): number | undefined;
  dispose(): void;
}

export function trapInterrupts(): Interrupt {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (received !== undefined) {
      process.stderr.write(`\ntsbuild: second ${sig}, exiting without cleanup\n`);
      process.exit(codeFor(sig));
    }
    received = sig;
    process.stderr.write(`\ntsbuild: ${sig} received, stopping (press Ctrl-C again to exit at once)\n`);
    controller.abort(new Error(`interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    exitCode: () => (received === undefined ? undefined : codeFor(received)),
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

function codeFor(sig: NodeJS.Signals): number {
  return sig === 'SIGTERM' ? 143 : EXIT.interrupted;
}
