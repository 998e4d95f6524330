// A scanned state with every lazy task list read into an array, for tests that compare the lazy
// scan (state/scan.ts, as the build worker runs it) with the eager parsers: moved out of src/,
// where nothing used it.
import type { ParseResult } from '../../src/state/parse.js';
import type { State, StateView } from '../../src/state/types.js';

/** A scanned result with every lazy task list read into an array. */
export function materialize(r: ParseResult<StateView>): ParseResult {
  const state: State | null = r.state === null ? null : {
    ...r.state, frameworks: r.state.frameworks.map((f) => ({ ...f, tasks: [...f.tasks] })),
  };
  return { state, warnings: r.warnings, ...(r.error !== undefined ? { error: r.error } : {}) };
}
