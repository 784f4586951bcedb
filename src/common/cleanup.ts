import { constants } from 'node:os';

/**
 * Work that must happen if the process ends on SIGINT or SIGTERM before it is done: remove a temporary file, save the
 * results that are finished. It runs inside the signal handler, so it must be synchronous.
 */
export type Cleanup = (signal: NodeJS.Signals) => void;

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
const pending: Cleanup[] = [];
let listening = false;

/**
 * Registers `cleanup` to run on SIGINT or SIGTERM; returns the function that unregisters it, to call when the work is
 * done, whether it succeeded or failed (calling it twice is harmless).
 *
 * While any cleanup is registered, one handler listens for both signals. It runs every registered cleanup, newest
 * first, then ends the process as the signal's default action would have, with the shell's status for it (128 + its
 * number: 130 for SIGINT, 143 for SIGTERM); `exit` listeners still run, so a browser playwright launched is killed.
 * It ends the process even when the program has SIGINT listeners of its own: a cleanup has deleted what the
 * interrupted work was writing, so that work cannot go on. With nothing registered no handler is installed, so a
 * signal during long synchronous work (building a model) ends the process at once, as it would without this module.
 */
export function onCleanup(cleanup: Cleanup): () => void {
  pending.push(cleanup);
  if (!listening) for (const s of SIGNALS) process.on(s, onSignal);
  listening = true;
  let registered = true;
  return () => {
    if (!registered) return;
    registered = false;
    const i = pending.indexOf(cleanup);
    if (i >= 0) pending.splice(i, 1);
    if (pending.length === 0) stopListening();
  };
}

function stopListening(): void {
  for (const s of SIGNALS) process.off(s, onSignal);
  listening = false;
}

function onSignal(signal: NodeJS.Signals): void {
  const due = pending.splice(0).reverse();
  // Still listening while they run: a second Ctrl-C waits for them instead of killing the process halfway through.
  for (const cleanup of due) {
    try {
      cleanup(signal);
    } catch (err) {
      process.stderr.write(`alexnet-onnx: while stopping on ${signal}: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
  process.exit(128 + constants.signals[signal]);
}
