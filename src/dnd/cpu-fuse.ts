/**
 * A hard CPU-time fuse for synchronous third-party code that can loop forever on hostile input.
 *
 * Why: ical.js 2.2.1 never returns from RecurIterator.next() for some unsatisfiable rules, e.g.
 * `RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30`; a VTIMEZONE with a SECONDLY rule makes every
 * conversion crawl. Iteration counters cannot stop a loop that never yields back to us.
 *
 * How: the function runs under `vm.Script#runInContext({ timeout })`. V8 terminates whatever
 * JavaScript is running when the watchdog fires - including functions from the main realm called
 * from inside the script - and node turns that into an error we catch here. No worker, no I/O.
 * Cost: ~70 µs per call (a watchdog thread), so wrap coarse units of work, not single steps.
 *
 * Whatever the fused function was mutating when it was stopped must be treated as garbage.
 */
import vm from 'node:vm';

export class TimeLimitExceededError extends Error {
  override readonly name = 'TimeLimitExceededError';
  readonly limitMs: number;
  constructor(limitMs: number) {
    super(`took longer than ${limitMs} ms`);
    this.limitMs = limitMs;
  }
}

interface FuseContext {
  run: (() => unknown) | undefined;
}

let context: (FuseContext & vm.Context) | null = null;
let script: vm.Script | null = null;
let depth = 0;

/**
 * Run `fn` synchronously; throw TimeLimitExceededError if it has not returned after `limitMs`.
 * Errors thrown by `fn` propagate unchanged. Nested calls run under the outermost fuse.
 */
export function runWithTimeLimit<T>(fn: () => T, limitMs: number): T {
  if (depth > 0) return fn();
  if (!context || !script) {
    context = vm.createContext({ run: undefined }) as FuseContext & vm.Context;
    script = new vm.Script('run()', { filename: 'sipwarden-cpu-fuse' });
  }
  let result: T | undefined;
  context.run = () => {
    result = fn();
  };
  depth++;
  try {
    script.runInContext(context, { timeout: Math.max(1, Math.ceil(limitMs)), breakOnSigint: false });
  } catch (err) {
    if (isTimeout(err)) throw new TimeLimitExceededError(limitMs);
    throw err;
  } finally {
    depth--;
    context.run = undefined;
  }
  return result as T;
}

function isTimeout(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
}
