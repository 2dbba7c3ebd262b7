// The only module that talks to the Rust side. Every command the UI uses is a
// typed function here; the types come from ./bindings, generated from the Rust
// types (checked by crates/vhr-app/tests/bindings.rs).
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import { t } from '../i18n.svelte';
import type { AddServiceRequest } from './bindings/AddServiceRequest';
import type { Entity } from './bindings/Entity';
import type { AppState } from './bindings/AppState';
import type { Proposal } from './bindings/Proposal';
import type { SavedService } from './bindings/SavedService';
import type { ServiceRecord } from './bindings/ServiceRecord';
import type { TimelineEntry } from './bindings/TimelineEntry';
import type { UpdateServiceRequest } from './bindings/UpdateServiceRequest';
import type { LogView } from './bindings/LogView';
import type { WorkPage } from './bindings/WorkPage';
import type { WorkQuery } from './bindings/WorkQuery';
import type { EndProgramRequest } from './bindings/EndProgramRequest';
import type { CloseRequest } from './bindings/CloseRequest';
import type { ReopenRequest } from './bindings/ReopenRequest';
import type { Lifecycle } from './bindings/Lifecycle';
import type { MergePreview } from './bindings/MergePreview';
import type { MergeRequest } from './bindings/MergeRequest';
import type { EnrolRequest } from './bindings/EnrolRequest';
import type { EpisodeRecord } from './bindings/EpisodeRecord';
import type { ProgramStatus } from './bindings/ProgramStatus';
import type { CardData } from './bindings/CardData';
import type { CardSize } from './bindings/CardSize';
import type { CardsRequest } from './bindings/CardsRequest';
import type { PrintEntry } from './bindings/PrintEntry';
import type { SavedPrint } from './bindings/SavedPrint';
import type { CitizenId } from './bindings/CitizenId';
import type { FormRegistry } from './bindings/FormRegistry';
import type { HistoryEntry } from './bindings/HistoryEntry';
import type { Household } from './bindings/Household';
import type { HouseholdSummary } from './bindings/HouseholdSummary';
import type { Lang } from './bindings/Lang';
import type { Membership } from './bindings/Membership';
import type { Overview } from './bindings/Overview';
import type { Problem } from './bindings/Problem';
import type { RegisterRequest } from './bindings/RegisterRequest';
import type { ResidentSummary } from './bindings/ResidentSummary';
import type { ResidentView } from './bindings/ResidentView';
import type { Saved } from './bindings/Saved';
import type { SearchRequest } from './bindings/SearchRequest';
import type { SessionInfo } from './bindings/SessionInfo';
import type { SetupRequest } from './bindings/SetupRequest';
import type { UpdateRequest } from './bindings/UpdateRequest';
import type { WireError } from './bindings/WireError';
import type { AttentionItem } from './bindings/AttentionItem';
import type { SetAside } from './bindings/SetAside';
import type { User } from './bindings/User';
import type { NewUserRequest } from './bindings/NewUserRequest';
import type { VillageSerials } from './bindings/VillageSerials';
import type { Renumbered } from './bindings/Renumbered';
import type { AddBlockRequest } from './bindings/AddBlockRequest';
import type { FieldConflict } from './bindings/FieldConflict';
import type { PlatformSetup } from './bindings/PlatformSetup';
import type { ResolveRequest } from './bindings/ResolveRequest';
import type { SyncProgress } from './bindings/SyncProgress';
import type { HandoverCheck } from './bindings/HandoverCheck';
import type { HandoverImportRequest } from './bindings/HandoverImportRequest';
import type { HandoverMade } from './bindings/HandoverMade';
import type { PlatformTakeIn } from './bindings/PlatformTakeIn';
import type { SyncReport } from './bindings/SyncReport';
import type { SyncStatus } from './bindings/SyncStatus';
import type { AuditEntry } from './bindings/AuditEntry';
import type { AuditCheck } from './bindings/AuditCheck';
import type { AuditQuery } from './bindings/AuditQuery';
import type { StoredCheckpoint } from './bindings/StoredCheckpoint';
import type { BackupFile } from './bindings/BackupFile';
import type { BackupMade } from './bindings/BackupMade';
import type { RestorePreview } from './bindings/RestorePreview';
import type { Restored } from './bindings/Restored';
import type { IntegrityResult } from './bindings/IntegrityResult';
import type { TransferOutRequest } from './bindings/TransferOutRequest';
import type { TransferMade } from './bindings/TransferMade';
import type { TransferPreview } from './bindings/TransferPreview';
import type { TransferInRequest } from './bindings/TransferInRequest';
import type { TransferTaken } from './bindings/TransferTaken';

export type * from './bindings/AppState';

/** An error from the Rust side, with its stable code and the user's-language message. */
export class AppError extends Error {
  readonly code: string;
  readonly problems: Problem[];
  readonly residentId: string | null;
  constructor(wire: WireError) {
    super(wire.message);
    this.code = wire.code;
    this.problems = wire.problems ?? [];
    this.residentId = wire.resident_id ?? null;
  }
}

function isWire(e: unknown): e is WireError {
  return typeof e === 'object' && e !== null && 'code' in e && 'message' in e;
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    if (isWire(e)) throw new AppError(e);
    // Tauri refused the request's shape before any command ran: a fault of
    // this window, said as one, with the detail for support.
    throw new AppError({ code: 'ipc', message: `${t('ipc_error')} (${String(e)})`, problems: [], resident_id: null });
  }
}

export const ipc = {
  appState: () => call<AppState>('app_state'),
  setup: (req: SetupRequest) => call<SessionInfo>('setup', { req }),
  setupDemo: (residents: number) => call<SessionInfo>('setup_demo', { residents }),
  signIn: (username: string, password: string) => call<SessionInfo>('sign_in', { username, password }),
  listUsers: () => call<User[]>('list_users'),
  addUser: (req: NewUserRequest) => call<User>('add_user', { req }),
  resetPassword: (username: string, password: string) => call<void>('reset_password', { username, password }),
  disableUser: (username: string) => call<User>('disable_user', { username }),
  setUserVillages: (username: string, villages: string[]) => call<User>('set_user_villages', { username, villages }),
  enableUser: (username: string, password: string) => call<User>('enable_user', { username, password }),
  changePassword: (old: string, next: string) => call<void>('change_password', { old, new: next }),
  newRecoveryCode: () => call<string>('new_recovery_code'),
  recover: (code: string, username: string, password: string) => call<SessionInfo>('recover', { code, username, password }),
  signOut: () => call<null>('sign_out'),
  setLanguage: (lang: Lang) => call<null>('set_language', { lang }),
  formRegistry: () => call<FormRegistry>('form_registry'),
  parseIdNumber: (number: string) => call<{ Ok: CitizenId } | { Err: Problem }>('parse_id_number', { number }),
  registerResident: (req: RegisterRequest) => call<Saved>('register_resident', { req }),
  updateResident: (req: UpdateRequest) => call<Saved>('update_resident', { req }),
  getResident: (key: string) => call<ResidentView>('get_resident', { key }),
  overview: () => call<Overview>('overview'),
  searchResidents: (req: SearchRequest) => call<ResidentSummary[]>('search_residents', { req }),
  residentHistory: (key: string) => call<HistoryEntry[]>('resident_history', { key }),
  createHousehold: (villageCode: string, address: string) => call<Household>('create_household', { villageCode, address }),
  getHousehold: (id: string) => call<Household>('get_household', { id }),
  listHouseholds: (village: string | null, query: string) => call<HouseholdSummary[]>('list_households', { village, query }),
  setMembership: (residentId: string, expectedVersion: number, membership: Membership | null) =>
    call<ResidentView>('set_membership', { residentId, expectedVersion, membership }),
  worklistPage: (query: WorkQuery) => call<WorkPage>('worklist_page', { query }),
  recentLog: () => call<LogView>('recent_log'),
  exportLog: () => call<string>('export_log'),
  prefillForm: (residentId: string, formId: string) => call<Record<string, unknown>>('prefill_form', { residentId, formId }),
  proposeFollowup: (residentId: string, formId: string, values: Record<string, unknown>) =>
    call<Proposal | null>('propose_followup', { residentId, formId, values }),
  addService: (req: AddServiceRequest) => call<SavedService>('add_service', { req }),
  timeline: (residentId: string) => call<TimelineEntry[]>('timeline', { residentId }),
  serviceHistory: (id: string) => call<HistoryEntry[]>('service_history', { id }),
  getService: (id: string) => call<ServiceRecord>('get_service', { id }),
  updateService: (req: UpdateServiceRequest) => call<SavedService>('update_service', { req }),
  programsOf: (residentId: string) => call<ProgramStatus[]>('programs_of', { residentId }),
  enrol: (req: EnrolRequest) => call<EpisodeRecord>('enrol', { req }),
  endProgram: (req: EndProgramRequest) => call<EpisodeRecord>('end_program', { req }),
  episodeHistory: (id: string) => call<HistoryEntry[]>('episode_history', { id }),
  closeRecord: (req: CloseRequest) => call<Lifecycle>('close_record', { req }),
  reopenRecord: (req: ReopenRequest) => call<Lifecycle>('reopen_record', { req }),
  mergePreview: (keep: string, duplicate: string) => call<MergePreview>('merge_preview', { keep, duplicate }),
  mergeRecords: (req: MergeRequest) => call<Lifecycle>('merge_records', { req }),
  transferOut: (req: TransferOutRequest) => call<TransferMade>('transfer_out', { req }),
  transferPreview: (path: string, code: string) => call<TransferPreview>('transfer_preview', { path, code }),
  transferIn: (req: TransferInRequest) => call<TransferTaken>('transfer_in', { req }),
  platformTransfers: () => call<ResidentView[]>('platform_transfers'),
  takeInFromPlatform: (req: PlatformTakeIn) => call<TransferTaken>('take_in_from_platform', { req }),
  handoverExport: (folder: string) => call<HandoverMade>('handover_export', { folder }),
  handoverCheck: (path: string, code: string | null) => call<HandoverCheck>('handover_check', { path, code }),
  handoverImport: (req: HandoverImportRequest) => call<SessionInfo>('handover_import', { req }),
  cancelLongWork: () => call<null>('cancel_long_work'),
  formsFor: (residentId: string) => call<string[]>('forms_for', { residentId }),
  cardOf: (residentId: string) => call<CardData>('card_of', { residentId }),
  printCard: (residentId: string) => call<SavedPrint>('print_card', { residentId }),
  printCards: (req: CardsRequest) => call<SavedPrint>('print_cards', { req }),
  cancelPrint: () => call<null>('cancel_print'),
  printForm: (recordId: string) => call<SavedPrint>('print_form', { recordId }),
  printBasicInfo: (residentId: string) => call<SavedPrint>('print_basic_info', { residentId }),
  printsOf: (residentId: string) => call<PrintEntry[]>('prints_of', { residentId }),
  openPath: (path: string) => call<null>('open_path', { path }),
  cardSize: () => call<CardSize>('card_size'),
  setCardSize: (size: CardSize) => call<CardSize>('set_card_size', { size }),
  syncStatus: () => call<SyncStatus>('sync_status'),
  syncNow: () => call<null>('sync_now'),
  syncAttention: () => call<AttentionItem[]>('sync_attention'),
  syncSetAside: () => call<SetAside[]>('sync_set_aside'),
  setMyPhone: (phone: string) => call<User>('set_my_phone', { phone }),
  villageSerials: () => call<VillageSerials[]>('village_serials'),
  serialWarnings: () => call<VillageSerials[]>('serial_warnings'),
  addSerialBlock: (req: AddBlockRequest) => call<Renumbered[]>('add_serial_block', { req }),
  syncConflicts: () => call<FieldConflict[]>('sync_conflicts'),
  syncOutside: () => call<ResidentSummary[]>('sync_outside'),
  resolveConflicts: (req: ResolveRequest) => call<null>('resolve_conflicts', { req }),
  retrySync: (entity: Entity, id: string) => call<null>('retry_sync', { entity, id }),
  recordAccessLog: (key: string) => call<AuditEntry[]>('record_access_log', { key }),
  auditList: (query: AuditQuery) => call<AuditEntry[]>('audit_list', { query }),
  auditVerify: () => call<AuditCheck>('audit_verify'),
  auditCheckpoints: () => call<StoredCheckpoint[]>('audit_checkpoints'),
  auditKey: () => call<string>('audit_key'),
  setIdleLockMinutes: (minutes: number) => call<number>('set_idle_lock_minutes', { minutes }),
  lock: () => call<null>('lock'),
  unlock: (password: string) => call<null>('unlock', { password }),
  getDraft: (key: string) => call<unknown>('get_draft', { key }),
  keepDraft: (key: string, value: unknown) => call<null>('keep_draft', { key, value }),
  forgetDraft: (key: string) => call<null>('forget_draft', { key }),
  listBackups: () => call<BackupFile[]>('list_backups'),
  makeBackup: (folder: string | null) => call<BackupMade>('make_backup', { folder }),
  restorePreview: (path: string) => call<RestorePreview>('restore_preview', { path }),
  restoreBackup: (path: string) => call<Restored>('restore_backup', { path }),
  restoreDamaged: (username: string, password: string, path: string | null) =>
    call<[SessionInfo, Restored]>('restore_damaged', { username, password, path }),
  lastIntegrityCheck: () => call<IntegrityResult | null>('last_integrity_check'),
  checkIntegrity: () => call<IntegrityResult>('check_integrity'),
  platformSetup: () => call<PlatformSetup>('platform_setup'),
  setPlatformSetup: (req: PlatformSetup) => call<PlatformSetup>('set_platform_setup', { req }),
};

/** Follows the background sync: its progress, each pass's end, and the indicator's state. */
export function onSync(handlers: {
  progress?: (p: SyncProgress) => void;
  finished?: (r: SyncReport) => void;
  status?: (s: SyncStatus) => void;
}): Promise<UnlistenFn[]> {
  return Promise.all([
    listen<SyncProgress>('sync-progress', (e) => handlers.progress?.(e.payload)),
    listen<SyncReport>('sync-finished', (e) => handlers.finished?.(e.payload)),
    listen<SyncStatus>('sync-status', (e) => handlers.status?.(e.payload)),
  ]);
}

/** Tells when the background check finds the database file damaged. */
export function onDatabaseDamaged(f: (r: IntegrityResult) => void): Promise<UnlistenFn> {
  return listen<IntegrityResult>('database-damaged', (e) => f(e.payload));
}

/** Follows a batch print's progress. */
export function onPrintProgress(f: (done: number, total: number) => void): Promise<UnlistenFn> {
  return listen<[number, number]>('print-progress', (e) => f(e.payload[0], e.payload[1]));
}

/** Follows the demo clinic's loading progress. */
/** Progress of a backup being written (pages). */
export function onBackupProgress(f: (done: number, total: number) => void): Promise<UnlistenFn> {
  return listen<[number, number]>('backup-progress', (e) => f(e.payload[0], e.payload[1]));
}

/** Progress of a handover being written, checked or taken over. */
export function onHandoverProgress(f: (done: number, total: number) => void): Promise<UnlistenFn> {
  return listen<[number, number]>('handover-progress', (e) => f(e.payload[0], e.payload[1]));
}

export function onDemoProgress(f: (done: number, total: number) => void): Promise<UnlistenFn> {
  return listen<[number, number]>('demo-progress', (e) => f(e.payload[0], e.payload[1]));
}
