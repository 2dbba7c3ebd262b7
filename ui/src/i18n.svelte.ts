// The UI's own words in Chinese (default) and English. Words that come from
// the form definitions and the Rust side arrive already in both languages.
import type { Lang } from './ipc/bindings/Lang';
import type { Localized } from './ipc/bindings/Localized';

const zh = {
  app_title: '村卫生室居民健康档案',
  nav_workbench: '工作台', nav_residents: '居民', nav_households: '家庭', nav_followups: '随访', nav_stats: '统计', nav_sync: '同步', nav_settings: '设置',
  coming_later: '尚未开放',
  search_placeholder: '姓名 / 拼音 / 首字母 / 身份证号 / 档案号 / 电话（Ctrl+K）',
  new_record: '新建档案', save: '保存', cancel: '取消', edit: '编辑', close: '关闭', confirm_save: '确认并保存', back: '返回',
  setup_title: '首次设置', setup_intro: '请填写本机构信息。档案编号由县区划代码、乡镇代码、村代码和本机的个人序号段组成。',
  institution_name: '建档机构名称', institution_phone: '机构电话', county_code: '县（区）行政区划代码（6位）', division_year: '区划代码版本年份',
  township_code: '乡镇（街道）代码（3位）', township_name: '乡镇（街道）名称', villages: '服务的村（居）委会', village_code: '村代码（3位）', village_name: '村名',
  add_village: '添加村', remove: '移除', serial_block: '本机可用个人序号段', serial_start: '起始', serial_end: '结束',
  first_user: '第一位用户', username: '登录名', display_name: '姓名', password: '密码（至少8位）',
  finish_setup: '完成设置', or_demo: '或者', use_demo: '使用演示诊所（300名虚构居民）', demo_loading: '正在生成演示居民',
  sign_in_title: '登录', sign_in: '登录', sign_out: '退出登录',
  recovery_title: '恢复单', recovery_intro: '这是本机构的恢复码。管理员忘记密码时，凭它为管理员重设密码；它只显示这一次，以前的恢复码已作废。请打印或抄写后锁好，不要与电脑放在一起。',
  recovery_print: '打印恢复单', recovery_kept: '我已妥善保存', recovery_institution: '机构', recovery_issued: '生成时间',
  forgot_password: '忘记管理员密码？', recovery_code: '恢复码', recovery_admin: '管理员登录名', new_password: '新密码', recover: '重设密码并登录', back_to_sign_in: '返回登录',
  name: '姓名', sex: '性别', birth_date: '出生日期', age: '年龄', id_number: '身份证号', id_kind: '证件', id_citizen: '居民身份证', id_none: '无', id_unknown: '不详', id_other: '其他证件',
  doc_type: '证件类型', doc_number: '证件号码', phone: '本人电话', residence_type: '常住类型', residence_since: '居住起始日期', village: '所属村（居）委会',
  current_address: '现住址', hukou_address: '户籍地址', responsible_doctor: '责任医生', created_on: '建档日期',
  household: '家庭', household_none: '暂不加入家庭', household_new: '新建家庭（本人为户主）', household_address: '家庭住址', relation: '与户主关系', is_head: '户主',
  record_no: '档案编号', years: '岁', cover: '封面', basic_info: '个人基本信息表', history: '修改记录', members: '家庭成员', add_member: '添加家庭成员',
  no_results: '没有找到符合条件的居民', all_villages: '全部村', all_groups: '全部人群', results_count: '条结果',
  saved: '已保存', saved_record: '已建档，档案编号', warnings_title: '请确认以下提示', problems_title: '请修改标红的项目',
  open_existing: '打开已有档案', version: '版本', changed_by: '修改人', changed_at: '时间', field: '项目', old_value: '原值', new_value: '新值', created: '建档',
  draft_restored: '已恢复上次未保存的内容。', discard_draft: '放弃草稿', choose: '请选择', other_text: '请注明', add_row: '添加一行', date_hint: '如 19580315',
  date_format: '日期格式应为 年-月-日，如 1958-03-15 或 19580315',
  link_member: '添加已有居民', make_head: '设为户主',
  annual_checks: '年度体检', worklist_title: '随访工作表', today: '今天', this_week: '本周', overdue_only: '逾期', all_due: '全部', show_more: '再显示 {n} 条（共 {total} 条）', log_title: '日志', log_about: '日志只记录程序的运行情况（启动、错误代码、同步结果），不含姓名、身份证号、电话或住址；出问题时可导出发给技术支持。', log_folder: '日志文件夹', log_export: '导出日志', log_exported: '日志已导出到 {path}', due_on: '应随访日期', state: '状态', reason: '原因',
  start_followup: '开始随访', no_due: '没有需要随访的居民', new_followup: '新增随访', timeline: '服务记录', proposal: '系统建议', apply_proposal: '采用建议',
  new_record_of: '新增记录', open_form: '填写', urgent: '紧急', no_records: '还没有服务记录', form: '表单', service_date: '服务日期', next_visit: '下次随访', sections: '本表目录', to_fix: '需修改', list_sep: '、', programs_ended: '已结束管理',
  households_title: '家庭', household_search: '地址或成员姓名', head: '户主', member_count: '人', new_household: '新建家庭',
  settings_title: '设置', language: '界面语言', data_folder: '数据文件夹', clinic: '本机构', app_version: '程序版本', text_size: '字号', larger_text: '大字号',
  outbox: '待同步', offline: '离线', waiting: '条待同步',
  workbench_intro: '今日工作', residents_total: '在册居民', recent: '最近建档', tags_title: '重点人群',
  sync_later: '同步功能将在后续版本开放；所有修改已保存在本机并排队等待上传。', stats_later: '统计指标将在后续版本开放。',
  programs: '管理项目', in_program: '管理中', program_ended: '已结束', enrolled_on: '纳入日期', ended_on: '结束日期', end_reason: '结束原因',
  end_program: '结束管理', enrol: '登记纳入管理', enrol_program: '管理项目', started_on: '登记日期', lmp: '末次月经', notice_date: '收到管理通知日期',
  note: '备注', no_programs: '该居民目前不在任何重点人群管理中', derived_hint: '根据年龄或既往史自动纳入', registered_hint: '需登记纳入',
  until: '管理至', next_due: '下一项',
  card: '信息卡', printed: '已生成打印文件', open_pdf: '打开PDF并打印', card_note: '信息卡内容取自档案；正面二维码为健康档案编号，扫码即可打开档案。每次打印都会记录打印人和时间。',
  print_card: '打印信息卡', print_log: '打印记录', never_printed: '尚未打印过', print_form: '打印', print_selected: '打印所列居民的信息卡',
  printing: '正在生成', print_village: '打印本村信息卡', print_household: '打印全家信息卡', print_since: '打印此日以来新建档的信息卡',
  card_width: '信息卡宽（毫米）', card_height: '信息卡高（毫米）', card_size_note: '默认为银行卡大小 85.6×53.98 毫米，每张A4纸10张；国家规范未规定尺寸，可按本地要求修改。',  sync_title: '与乡镇卫生院/区域平台同步', sync_off: '未设置平台', sync_offline: '离线', sync_syncing: '同步中', sync_up_to_date: '已是最新',
  sync_waiting: '条待上传', sync_attention: '条需处理', sync_now: '立即同步', sync_last_success: '上次成功同步', sync_never: '尚未成功同步',
  sync_last_error: '上次未完成的原因', sync_quarantined_title: '平台拒收的记录', sync_quarantined_note: '平台说明了拒收原因。请修改该记录后点“重新上传”；其他记录照常上传。',
  sync_retry: '重新上传', sync_conflicts_title: '两边都修改过的项目', sync_conflicts_note: '本机和平台上都修改了同一项目且内容不同。请逐项选择保留哪一方，系统不会自动覆盖。',
  sync_keep_local: '保留本机', sync_keep_remote: '采用平台', sync_save_choices: '保存选择', sync_local_value: '本机', sync_remote_value: '平台', sync_base_value: '原值',
  ipc_error: '程序内部出错，已输入的内容未丢失。请再试一次；如仍出错，请在“设置”中导出日志发给技术支持',
  my_phone: '本人联系电话', my_phone_note: '（印在您负责居民的信息卡上）',
  accounts_title: '用户与密码', current_password: '当前密码', change_password: '更改密码', password_changed: '密码已更改',
  villages_kept: '负责的村', villages_all: '全部村', villages_saved: '已保存 {name} 负责的村（下次登录时生效）', edit_villages: '分配村', role: '角色', role_doctor: '村医', role_supervisor: '乡镇督导', role_admin: '管理员', user_state: '状态', user_active: '在用', user_disabled: '已停用',
  reset_password: '重设密码', disable_user: '停用', enable_user: '启用', add_user: '添加用户', user_added: '已添加用户 {name}',
  password_set: '已为 {name} 设置新密码', user_disabled_done: '已停用 {name} 的账户（其记录上的姓名保留）', new_password_for: '{name} 的新密码',
  recovery_about: '恢复单上的恢复码可在管理员忘记密码时重设密码。恢复单丢失或可能被他人看到时，请打印新的恢复单，旧的随即作废。', new_recovery_sheet: '打印新的恢复单',
  serial_title: '档案编号号段', serial_about: '每个村（居）委会各有本机可用的个人序号段，由乡镇卫生院分配。号段快用完时请及时申请新号段，收到文件后在此添加；号段用完期间新建的档案暂用临时编号，添加号段后自动换为正式编号并记入修改记录。',
  serial_blocks: '号段', serial_left: '剩余', serial_provisional: '临时编号', serial_arrived: '外来号码', serial_arrived_note: '平台上有其他机构的档案使用了本机号段内的编号，请与乡镇卫生院核对号段分配',
  serial_from_setup: '首次设置', serial_from_letter: '乡镇卫生院分配', serial_not_started: '尚未建档（将使用首次设置的号段）', serial_ask_now: '请尽快申请新号段',
  serial_note: '来源（文号）', serial_add: '添加号段', serial_added: '已添加号段；{n} 份临时编号档案已换为正式编号。',
  serial_banner_left: '{village}的档案编号只剩 {left} 个，请尽快向乡镇卫生院申请新号段。', serial_banner_provisional: '{village}有 {n} 份档案暂用临时编号，请向乡镇卫生院申请新号段并在设置中添加。',
  provisional: '临时编号', provisional_about: '号段用完时建立的档案暂用临时编号；添加新号段后自动换为正式编号，请届时重新打印信息卡。',
  sync_set_aside_title: '平台发来但未接收的记录', sync_set_aside_note: '这些记录不符合填写规则，未存入本机，也不影响其他记录。每次同步都会重新读取，平台上改正后即自动接收；如长期未改正，请把原因告知乡镇卫生院或平台管理员。',
  sync_set_aside_tries: '已尝试', sync_nothing: '没有需要处理的记录。', sync_settings: '平台同步', platform_url: '平台地址（FHIR R4）', sync_interval: '自动同步间隔（秒）',
  credentials: '登录方式', cred_none: '无', cred_bearer: '令牌（Bearer）', cred_client: '客户端凭据（OAuth2）', token: '令牌', token_url: '令牌地址',
  client_id: '客户端编号', client_secret: '客户端密钥', scope: '范围', secret_kept: '已保存（不显示）；留空则不更改', sync_entity_resident: '居民档案',
  sync_outside_title: '已不在本机服务范围的居民', sync_outside_note: '平台记录这些居民已迁往本机不服务的村。档案保留在本机，请核实后按规定办理迁出。',
  open: '打开', sync_entity_service_record: '服务记录', sync_entity_program_episode: '管理项目', sync_entity_household: '家庭', sync_pulled: '收到', sync_pushed: '上传',
};

type Key = keyof typeof zh;

const en: Record<Key, string> = {
  app_title: 'Village Health Records',
  nav_workbench: 'Today', nav_residents: 'Residents', nav_households: 'Households', nav_followups: 'Follow-ups', nav_stats: 'Indicators', nav_sync: 'Sync', nav_settings: 'Settings',
  coming_later: 'Not yet available',
  search_placeholder: 'Name / pinyin / initials / ID / record no. / phone (Ctrl+K)',
  new_record: 'New record', save: 'Save', cancel: 'Cancel', edit: 'Edit', close: 'Close', confirm_save: 'Confirm and save', back: 'Back',
  setup_title: 'First start', setup_intro: "Describe your clinic. Record numbers are made of the county, township and village codes and this install's serial block.",
  institution_name: 'Institution name', institution_phone: 'Institution phone', county_code: 'County division code (6 digits)', division_year: 'Year of the division code table',
  township_code: 'Township code (3 digits)', township_name: 'Township name', villages: 'Villages served', village_code: 'Village code (3 digits)', village_name: 'Village name',
  add_village: 'Add village', remove: 'Remove', serial_block: "This install's serial block", serial_start: 'From', serial_end: 'To',
  first_user: 'First user', username: 'Login name', display_name: 'Full name', password: 'Password (8+ characters)',
  finish_setup: 'Finish setup', or_demo: 'or', use_demo: 'Use the demo clinic (300 made-up residents)', demo_loading: 'Creating demo residents',
  sign_in_title: 'Sign in', sign_in: 'Sign in', sign_out: 'Sign out',
  recovery_title: 'Recovery sheet', recovery_intro: "This is the clinic's recovery code. When an administrator forgets their password, it sets a new one; it is shown only now, and any earlier code no longer works. Print or copy it and lock it away, not with the computer.",
  recovery_print: 'Print the recovery sheet', recovery_kept: 'I have kept it safe', recovery_institution: 'Institution', recovery_issued: 'Issued',
  forgot_password: 'Administrator password forgotten?', recovery_code: 'Recovery code', recovery_admin: "Administrator's login name", new_password: 'New password', recover: 'Reset the password and sign in', back_to_sign_in: 'Back to sign-in',
  name: 'Name', sex: 'Sex', birth_date: 'Date of birth', age: 'Age', id_number: 'ID number', id_kind: 'Document', id_citizen: 'Citizen ID card', id_none: 'None', id_unknown: 'Unknown', id_other: 'Other document',
  doc_type: 'Document type', doc_number: 'Document number', phone: 'Own phone', residence_type: 'Residence type', residence_since: 'Living here since', village: 'Village',
  current_address: 'Current address', hukou_address: 'Registered (hukou) address', responsible_doctor: 'Responsible doctor', created_on: 'Record created on',
  household: 'Household', household_none: 'No household yet', household_new: 'New household (this resident is head)', household_address: 'Household address', relation: 'Relation to head', is_head: 'Head',
  record_no: 'Record no.', years: 'y', cover: 'Cover', basic_info: 'Personal basic information', history: 'Change history', members: 'Members', add_member: 'Add a member',
  no_results: 'No resident matches', all_villages: 'All villages', all_groups: 'All groups', results_count: 'results',
  saved: 'Saved', saved_record: 'Record created, number', warnings_title: 'Please confirm', problems_title: 'Please correct the fields marked in red',
  open_existing: 'Open the existing record', version: 'Version', changed_by: 'By', changed_at: 'When', field: 'Item', old_value: 'Old', new_value: 'New', created: 'Created',
  draft_restored: 'Your unsaved entry from last time was restored.', discard_draft: 'Discard draft', choose: 'Choose', other_text: 'Please specify', add_row: 'Add a row', date_hint: 'e.g. 19580315',
  date_format: 'Write the date as year-month-day, e.g. 1958-03-15 or 19580315',
  link_member: 'Add an existing resident', make_head: 'Make head',
  annual_checks: 'Annual checks', worklist_title: 'Follow-up work list', today: 'Today', this_week: 'This week', overdue_only: 'Overdue', all_due: 'All', show_more: 'Show {n} more ({total} in all)', log_title: 'Log', log_about: 'The log records only how the program runs (start-up, error codes, sync results), never a name, ID number, phone or address; export it for support when something goes wrong.', log_folder: 'Log folder', log_export: 'Export the log', log_exported: 'The log was exported to {path}', due_on: 'Due on', state: 'State', reason: 'Reason',
  start_followup: 'Start', no_due: 'Nobody is due', new_followup: 'New follow-up', timeline: 'Service records', proposal: 'Proposed', apply_proposal: 'Use the proposal',
  new_record_of: 'New record', open_form: 'Fill in', urgent: 'Urgent', no_records: 'No service records yet', form: 'Form', service_date: 'Service date', next_visit: 'Next visit', sections: 'Sections', to_fix: 'to fix', list_sep: ', ', programs_ended: 'Programmes ended',
  households_title: 'Households', household_search: 'Address or member name', head: 'Head', member_count: 'people', new_household: 'New household',
  settings_title: 'Settings', language: 'Language', data_folder: 'Data folder', clinic: 'Clinic', app_version: 'Version', text_size: 'Text size', larger_text: 'Larger text',
  outbox: 'Waiting', offline: 'Offline', waiting: 'waiting to sync',
  workbench_intro: "Today's work", residents_total: 'Residents on file', recent: 'Recently created', tags_title: 'Key populations',
  sync_later: 'Sync arrives in a later version; every change is saved here and queued for upload.', stats_later: 'Indicators arrive in a later version.',
  programs: 'Programmes', in_program: 'Active', program_ended: 'Ended', enrolled_on: 'Enrolled on', ended_on: 'Ended on', end_reason: 'Why it ended',
  end_program: 'End programme', enrol: 'Register', enrol_program: 'Programme', started_on: 'Registered on', lmp: 'Last menstrual period', notice_date: 'Management notice received',
  note: 'Note', no_programs: 'The resident is in no key-population programme', derived_hint: 'From age or past history', registered_hint: 'Needs registration',
  until: 'Until', next_due: 'Next',
  card: 'Information card', printed: 'Print file made', open_pdf: 'Open the PDF to print', card_note: 'The card shows what the record says; the QR code on the front holds the record number, so scanning it opens the record. Every print is logged with who printed it and when.',
  print_card: 'Print the card', print_log: 'Prints', never_printed: 'Never printed', print_form: 'Print', print_selected: 'Print the cards of the residents listed',
  printing: 'Making', print_village: 'Print the village’s cards', print_household: 'Print the household’s cards', print_since: 'Print the cards of records created since this day',
  card_width: 'Card width (mm)', card_height: 'Card height (mm)', card_size_note: 'By default a bank-card size, 85.6 × 53.98 mm, ten to an A4 sheet; the norm sets no size, so follow local practice.',  sync_title: 'Sync with the township hospital / regional platform', sync_off: 'No platform set', sync_offline: 'Offline', sync_syncing: 'Syncing', sync_up_to_date: 'Up to date',
  sync_waiting: 'waiting', sync_attention: 'need attention', sync_now: 'Sync now', sync_last_success: 'Last successful sync', sync_never: 'Never synced yet',
  sync_last_error: 'Why the last pass did not finish', sync_quarantined_title: 'Refused by the platform', sync_quarantined_note: 'The platform said why. Correct the record, then choose “Send again”; everything else keeps going up.',
  sync_retry: 'Send again', sync_conflicts_title: 'Changed on both sides', sync_conflicts_note: 'This item was changed here and on the platform, differently. Choose which to keep for each; nothing is overwritten on its own.',
  sync_keep_local: 'Keep this computer’s', sync_keep_remote: 'Take the platform’s', sync_save_choices: 'Save choices', sync_local_value: 'Here', sync_remote_value: 'Platform', sync_base_value: 'Before',
  ipc_error: 'A fault in the program; nothing you typed is lost. Try again; if it happens again, export the log in Settings and send it to support',
  my_phone: 'My phone', my_phone_note: '(printed on the cards of the residents you are responsible doctor of)',
  accounts_title: 'Users and passwords', current_password: 'Current password', change_password: 'Change password', password_changed: 'The password is changed',
  villages_kept: 'Villages', villages_all: 'every village', villages_saved: "{name}'s villages are saved (from their next sign-in)", edit_villages: 'Assign villages', role: 'Role', role_doctor: 'Village doctor', role_supervisor: 'Township supervisor', role_admin: 'Administrator', user_state: 'State', user_active: 'active', user_disabled: 'disabled',
  reset_password: 'Reset password', disable_user: 'Disable', enable_user: 'Enable', add_user: 'Add user', user_added: 'User {name} added',
  password_set: 'A new password is set for {name}', user_disabled_done: "{name}'s account is disabled (their name stays on what they recorded)", new_password_for: 'New password for {name}',
  recovery_about: "The recovery sheet's code resets an administrator's forgotten password. If the sheet is lost or may have been seen, print a new one; the old one stops working.", new_recovery_sheet: 'Print a new recovery sheet',
  serial_title: 'Record number blocks', serial_about: 'Each village has its own block of serials for this install, given by the township hospital. Ask for a new block before one runs out and add it here when the letter comes; records created meanwhile get a provisional number, replaced by a final one (with the change in their history) once a block is added.',
  serial_blocks: 'Blocks', serial_left: 'Left', serial_provisional: 'Provisional', serial_arrived: 'From elsewhere', serial_arrived_note: 'records on the platform from another institution use numbers inside this install\'s blocks; check the blocks with the township hospital',
  serial_from_setup: 'first start', serial_from_letter: 'from the township', serial_not_started: 'no records yet (the first-start block will be used)', serial_ask_now: 'ask for a new block now',
  serial_note: 'Source (letter no.)', serial_add: 'Add block', serial_added: 'Block added; {n} provisional record(s) now have final numbers.',
  serial_banner_left: '{village} has {left} record numbers left: ask the township hospital for a new block soon.', serial_banner_provisional: '{village} has {n} record(s) under a provisional number: ask the township hospital for a new block and add it in Settings.',
  provisional: 'Provisional number', provisional_about: 'Records created while no block was left get a provisional number; it is replaced by a final one once a block is added. Print the card again then.',
  sync_set_aside_title: 'Sent by the platform but not taken', sync_set_aside_note: 'These records break the rules of the forms, so they were not stored here; nothing else is held up. Every sync reads them again and takes them once corrected on the platform; if they stay, tell the township hospital or the platform’s administrator why.',
  sync_set_aside_tries: 'tried', sync_nothing: 'Nothing needs attention.', sync_settings: 'Platform sync', platform_url: 'Platform address (FHIR R4)', sync_interval: 'Sync every (seconds)',
  credentials: 'Sign-in', cred_none: 'None', cred_bearer: 'Token (Bearer)', cred_client: 'Client credentials (OAuth2)', token: 'Token', token_url: 'Token URL',
  client_id: 'Client id', client_secret: 'Client secret', scope: 'Scope', secret_kept: 'Kept (not shown); leave empty to keep it', sync_entity_resident: 'Resident record',
  sync_outside_title: 'Residents no longer in this catchment', sync_outside_note: 'The platform records that these residents moved to a village this install does not serve. Their records stay here; check, then close them as moved out.',
  open: 'Open', sync_entity_service_record: 'Service record', sync_entity_program_episode: 'Programme', sync_entity_household: 'Household', sync_pulled: 'received', sync_pushed: 'sent',
};

const dictionaries: Record<Lang, Record<Key, string>> = { 'zh-CN': zh, en };

export const i18n = $state({ lang: 'zh-CN' as Lang });

export function t(key: Key): string {
  return dictionaries[i18n.lang][key];
}

export function loc(text: Localized | null | undefined): string {
  if (!text) return '';
  return i18n.lang === 'en' ? text.en : text.zh;
}

const tagLabels: Record<string, Localized> = {
  child: { zh: '0–6岁儿童', en: 'Child 0–6' },
  elderly: { zh: '老年人', en: 'Elderly 65+' },
  hypertension: { zh: '高血压', en: 'Hypertension' },
  diabetes: { zh: '糖尿病', en: 'Diabetes' },
  severe_mental: { zh: '严重精神障碍', en: 'Severe mental disorder' },
  maternal: { zh: '孕产妇', en: 'Pregnant or postpartum' },
  tuberculosis: { zh: '肺结核', en: 'Tuberculosis' },
};

export function tagLabel(tag: string): string {
  return loc(tagLabels[tag]) || tag;
}

export const sexLabels: Record<string, Localized> = {
  '0': { zh: '未知', en: 'Unknown' },
  '1': { zh: '男', en: 'Male' },
  '2': { zh: '女', en: 'Female' },
  '9': { zh: '未说明', en: 'Not stated' },
};
