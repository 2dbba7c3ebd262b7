// The sync indicator's state, kept from the background sync's events.
import { ipc, onSync } from '../ipc';
import type { SyncProgress } from '../ipc/bindings/SyncProgress';
import type { SyncReport } from '../ipc/bindings/SyncReport';
import type { SyncStatus } from '../ipc/bindings/SyncStatus';

export const sync = $state({
  status: null as SyncStatus | null,
  /** Set while a pass runs. */
  progress: null as SyncProgress | null,
  last: null as SyncReport | null,
});

let started = false;

/** Starts following the background sync (once). */
export async function followSync(): Promise<void> {
  if (started) return;
  started = true;
  await onSync({
    progress: (p) => (sync.progress = p),
    finished: (r) => {
      sync.last = r;
      sync.progress = null;
    },
    status: (s) => (sync.status = s),
  }).catch(() => {});
  await refreshSync();
}

export async function refreshSync(): Promise<void> {
  try {
    sync.status = await ipc.syncStatus();
  } catch {
    /* the indicator keeps its last state */
  }
}
