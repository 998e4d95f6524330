// Which of a refresh's warnings get logged. Why: every bad entity was logged again on every
// refresh, one line each, formatted on the answering thread — 100k bad tasks wrote 70 MB of log
// in 15 s and held answers up 307 ms. The build worker keeps this filter: a warning (its text
// names the entity and the problem) is logged when it was not in the previous refresh, so a
// problem is logged once, and again only if it changes or comes back after going away; at most
// MAX_WARNING_LINES of them per refresh, then one line with the count of the rest. The answering
// thread receives only those lines and the counts (for the refresh line).

/** Lines one refresh may log: enough to see what is wrong, too few to flood a log or stall a thread. */
export const MAX_WARNING_LINES = 100;

/**
 * Warnings remembered between refreshes (their texts, ~100 bytes each: ~10 MB at most). A state
 * with more has more bad entities than anyone reads one by one; the ones past it count as new on
 * every refresh, which the line limit keeps to MAX_WARNING_LINES lines.
 */
export const MAX_REMEMBERED_WARNINGS = 100_000;

export interface WarningReport {
  /** The lines to log, in order: new warnings, then (when over the line limit) one summary. */
  lines: string[];
  /** Warnings of this refresh, logged or not (the refresh line's `skipped`). */
  total: number;
  /** Of them, not in the previous refresh. */
  fresh: number;
}

export class WarningFilter {
  private previous = new Set<string>();

  /** The report for one refresh's warnings; they become "the previous refresh" for the next. */
  take(warnings: readonly string[]): WarningReport {
    const lines: string[] = [];
    const now = new Set<string>();
    let fresh = 0;
    for (const w of warnings) {
      if (this.previous.has(w) || now.has(w)) continue;
      fresh++;
      if (lines.length < MAX_WARNING_LINES) lines.push(w);
      if (now.size < MAX_REMEMBERED_WARNINGS) now.add(w);
    }
    // warnings seen again are remembered again (they were skipped above, so add them now)
    for (const w of warnings) {
      if (now.size >= MAX_REMEMBERED_WARNINGS) break;
      if (this.previous.has(w)) now.add(w);
    }
    if (fresh > lines.length) lines.push(`${fresh - lines.length} more new warnings not logged (at most ${MAX_WARNING_LINES} per refresh)`);
    this.previous = now;
    return { lines, total: warnings.length, fresh };
  }
}
