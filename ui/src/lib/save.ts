// What a form screen does around a save: a refusal from the Rust side, and the draft once it is done.
import { tick } from 'svelte';
import type { AppError } from '../ipc';
import type { Problem } from '../ipc/bindings/Problem';

/** The message, the warnings to confirm, and the problems to mark beside their fields. */
export type Refusal = { message: string; warnings: Problem[]; problems: Problem[] };

export function refusal(e: AppError): Refusal {
  return e.code === 'needs_confirmation'
    ? { message: e.message, warnings: e.problems, problems: [] }
    : { message: e.message, warnings: [], problems: e.problems };
}

/** Puts the cursor in the first field marked as wrong, once it is drawn. */
export async function focusFirstProblem(): Promise<void> {
  await tick();
  document.querySelector<HTMLElement>('.invalid, .has-error input, .has-error select')?.focus();
}
