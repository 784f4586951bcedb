/** A mistake in how the tool was called (bad option value, missing file): exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Exit code for an error: 2 for usage mistakes, 1 for failures while running. */
export function exitCodeFor(err: unknown): number {
  return err instanceof UsageError ? 2 : 1;
}

/** One line for an error: the message with line breaks folded, so a user sees no stack trace. */
export function oneLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/\s*\n\s*/g, ' ').trim();
}
