// The app's shared state: who is signed in, the form definitions, where we are.
import type { AppState } from '../ipc/bindings/AppState';
import type { FormRegistry } from '../ipc/bindings/FormRegistry';
import type { Problem } from '../ipc/bindings/Problem';

export type Route =
  | { name: 'workbench' }
  | { name: 'residents' }
  | { name: 'resident'; id: string; tab?: 'info' | 'history' | 'household' | 'timeline' | 'programs' | 'card' | 'access'; proposeClosure?: { on: string; cause: string } }
  | { name: 'register'; householdId?: string }
  | { name: 'edit'; id: string }
  | { name: 'households' }
  | { name: 'household'; id: string }
  | { name: 'followups' }
  | { name: 'service'; residentId: string; formId: string; editId?: string }
  | { name: 'service-view'; id: string }
  | { name: 'stats' }
  | { name: 'sync' }
  | { name: 'settings' };

export const app = $state({
  state: null as AppState | null,
  forms: null as FormRegistry | null,
  route: { name: 'residents' } as Route,
  /** A short message shown at the top after an action ("已保存"). */
  notice: '' as string,
  largeText: false,
  /** A new recovery code to show once, before anything else (setup, recovery, first encrypted sign-in). */
  recoveryCode: null as string | null,
  /** The window is locked (idle, or Ctrl+L): the views stay as they are
   *  underneath, with whatever was typed, until the password unlocks it. */
  locked: false,
  /** Shown on the sign-in page once (after a restore ended the session). */
  signInNotice: '' as string,
  /** The background check found the database file damaged. */
  damaged: false,
});

export function go(route: Route): void {
  app.route = route;
  app.notice = '';
}

export function notify(message: string): void {
  app.notice = message;
}

/** Problems whose field is `path` or lies inside it. */
export function problemsAt(problems: Problem[], path: string): Problem[] {
  return problems.filter((p) => p.field === path || p.field.startsWith(path + '.') || p.field.startsWith(path + '[') || p.field === path + '_text');
}

/** The villages the signed-in user keeps: a village doctor's own, everyone
 *  else's the clinic's all (the store narrows every read the same way). */
export function villagesInReach() {
  const session = app.state?.session;
  if (!session) return [];
  const all = session.clinic.villages;
  return session.user.role === 'doctor' ? all.filter((v) => session.user.villages.includes(v.code)) : all;
}

/** Whether the signed-in user registers residents and edits their personal
 *  basic information (a township supervisor records services only). */
export function mayEditResidents(): boolean {
  const role = app.state?.session?.user.role;
  return role === 'doctor' || role === 'admin';
}

/** Whether the signed-in user reads the whole audit trail (administrators
 *  and township supervisors; the core refuses everyone else the same way). */
export function mayAudit(): boolean {
  const role = app.state?.session?.user.role;
  return role === 'admin' || role === 'supervisor';
}
