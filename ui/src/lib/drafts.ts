// Half-typed forms, kept by the Rust side in the encrypted store for the
// signed-in user (never in the webview's own storage, a plain file). Typing
// is sent a moment after it stops; saving, cancelling or discarding drops it.
import { ipc } from '../ipc';

const WAIT_MS = 400;
const pending = new Map<string, { timer: ReturnType<typeof setTimeout>; value: unknown }>();
/** A keep already on its way, so that a drop right after a keystroke lands after it. */
const sending = new Map<string, Promise<unknown>>();

/** The user's draft of this form, as they left it, or null. */
export async function loadDraft<T>(key: string): Promise<T | null> {
  // The form left a moment ago with its last typing not yet sent: send it first.
  await flush(key);
  await sending.get(key);
  try {
    return ((await ipc.getDraft(key)) as T | null) ?? null;
  } catch {
    return null;
  }
}

/** Keeps what the form holds now, a moment after the typing stops. */
export function keepDraft(key: string, value: unknown): void {
  const waiting = pending.get(key);
  if (waiting) clearTimeout(waiting.timer);
  pending.set(key, { value, timer: setTimeout(() => void flush(key), WAIT_MS) });
}

async function flush(key: string): Promise<void> {
  const waiting = pending.get(key);
  if (!waiting) return;
  pending.delete(key);
  clearTimeout(waiting.timer);
  // While the window is locked the core refuses everything; what was typed
  // is still in the form underneath, and is kept at the next change.
  const sent = ipc.keepDraft(key, waiting.value).catch(() => {});
  sending.set(key, sent);
  await sent;
  if (sending.get(key) === sent) sending.delete(key);
}

/** Sends every draft still waiting (before signing out or locking). */
export async function flushDrafts(): Promise<void> {
  await Promise.all([...pending.keys()].map(flush));
}

/** The form was saved, cancelled or its draft discarded. */
export async function dropDraft(key: string): Promise<void> {
  const waiting = pending.get(key);
  if (waiting) clearTimeout(waiting.timer);
  pending.delete(key);
  sessionStorage.removeItem(`${key}:scroll`);
  await sending.get(key);
  await ipc.forgetDraft(key).catch(() => {});
}

/** Drafts that an earlier version left in the webview's storage move into
 *  the encrypted store under the user now signed in, and leave the plain file. */
export async function moveOldDrafts(): Promise<void> {
  const old = Object.keys(localStorage).filter((k) => k.startsWith('vhr-draft:'));
  for (const k of old) {
    const rest = k.slice('vhr-draft:'.length);
    const key = rest.startsWith('service:') ? rest : `resident:${rest}`;
    try {
      await ipc.keepDraft(key, JSON.parse(localStorage.getItem(k) ?? 'null'));
    } catch {
      // Unreadable, or refused: dropped either way, never left in the clear.
    }
    localStorage.removeItem(k);
  }
}
