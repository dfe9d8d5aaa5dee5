/**
 * The one time limit of the suite: only a genuine hang may fail on time. It
 * is far above what any test or hook takes on a slow or busy machine, so no
 * test sets a tighter one of its own (vitest.config.ts applies it to every
 * test and hook; spawned processes are killed at half of it, so the test
 * still reports what they printed).
 */
export const HANG_LIMIT_MS = 15 * 60_000;
