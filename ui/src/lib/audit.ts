// How the audit trail reads to a person: each kind of entry in words, and
// its time on the clinic's clock.
import { t } from '../i18n.svelte';

const labels: Record<string, Parameters<typeof t>[0]> = {
  create: 'act_create', update: 'act_update', open: 'act_open', history: 'act_history', view: 'act_view', print: 'act_print',
  export: 'act_export', 'sign-in': 'act_sign_in', 'sign-out': 'act_sign_out', lock: 'act_lock', unlock: 'act_unlock',
  recover: 'act_recover', sync: 'act_sync', 'bulk-export': 'act_bulk_export', backup: 'act_backup',
  restore: 'act_restore', 'integrity-check': 'act_integrity_check', 'handover-out': 'act_handover_out', 'handover-in': 'act_handover_in',
};

/** The kinds an audit screen filters by, in the order it lists them. */
export const auditKinds = Object.keys(labels);

export function actionLabel(action: string): string {
  const key = labels[action];
  return key ? t(key) : action;
}

/** `2026-12-02 09:15` on this computer's clock (the clinic's). */
export function localTime(at: string): string {
  const d = new Date(at);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}
