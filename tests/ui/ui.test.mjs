// UI behaviour in headless Chromium with mocked IPC (see harness.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serve, launch, open, shot, calls, emit, registry } from './harness.mjs';

let server;
let browser;
before(async () => {
  server = await serve();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  server?.close();
});

const clinic = {
  institution_name: '青山镇卫生院石桥村卫生室', institution_phone: '', county_code: '450102', division_code_year: 2024,
  township_code: '101', township_name: '青山镇', villages: [{ code: '101', name: '石桥村' }, { code: '102', name: '河口村' }],
  serial_block: { start: 1, end: 99999 },
};
const signedIn = (lang = 'zh-CN') => ({
  set_up: true, lang, data_dir: '/data', version: '0.1.0', outbox_pending: 3, startup_problems: [],
  session: { clinic, user: { id: 'u1', username: 'li', display_name: '李春华', role: 'admin' } },
});
const zhang = {
  id: 'r1', record_no: '45010210110100001', name: '张三', sex: '2', birth_date: '1949-12-31', age: 76, village_code: '101',
  id_number: '11010519491231002X', household_id: null, status: 'active', tags: ['elderly'],
};
const zhangView = {
  resident: {
    id: 'r1', version: 1, record_no: '45010210110100001', name: '张三', sex: '2', birth_date: '1949-12-31',
    id_document: { kind: 'citizen_id', number: '11010519491231002X' }, phone: '13800138000', residence_type: '1',
    residence_since: null, village_code: '101', current_address: '石桥村3组12号', hukou_address: '', responsible_doctor: '李春华',
    created_on: '2026-11-21', basic_info: { work_unit: '务农', ethnicity: '01' }, household: null, status: 'active', closure: null, reopened: null, merged_from: [],
    institution: '青山镇卫生院石桥村卫生室', created_by: '李春华', created_at: '2026-11-21T02:00:00Z', updated_by: '李春华', updated_at: '2026-11-21T02:00:00Z',
  },
  age: 76, tags: ['elderly'], record_no_grouped: '450102 101 101 00001', record_no_short: '101-00001', village_name: '石桥村',
};
/** Opens 张三's record the way a scanner does: the record number and Enter. */
async function openByScan(page) {
  await page.locator('input[name="search"]').fill('45010210110100001');
  await page.locator('input[name="search"]').press('Enter');
  await page.locator('[data-resident-name]').waitFor();
}

const app = (extra = {}) => ({
  app_state: signedIn(), form_registry: registry(), search_residents: [zhang], programs_of: [],
  forms_for: ['health_exam', 'elderly_self_care', 'visit_record', 'consultation_record', 'referral_out', 'referral_return', 'mental_supplement', 'tb_first_visit'],
  ...extra,
});

test('a configuration file refused at start is shown with what to fix, and the clinic runs on', async () => {
  const problem = {
    code: 'configuration',
    message: '配置文件 /data/programs.json 有 2 处错误，暂按上次的设置运行。请改正后重新启动：routine_months 为 0，应在 1 到 12 之间',
    problems: [
      { field: 'routine_months', code: 'config.range', severity: 'error', message: { zh: 'routine_months 为 0，应在 1 到 12 之间', en: 'routine_months is 0; it must be from 1 to 12' } },
      { field: 'grace_days', code: 'config.range', severity: 'error', message: { zh: 'grace_days 为 -7，应在 0 到 90 之间', en: 'grace_days is -7; it must be from 0 to 90' } },
    ],
  };
  const page = await open(browser, server.url, app({ app_state: { ...signedIn(), startup_problems: [problem] }, overview: { residents: 1, tags: [] } }));
  const banner = page.locator('[data-startup-problem="configuration"]');
  await banner.waitFor();
  assert.match(await banner.textContent(), /programs\.json[\s\S]*grace_days 为 -7/, 'the file, and every key to fix');
  assert.equal(await page.locator('button[data-nav="followups"]').count(), 1, 'the clinic is open behind the warning');
  await shot(page, 'startup-problem-zh.png');
  await page.close();
});

test('setup problems appear beside their fields, in Chinese', async () => {
  const page = await open(browser, server.url, {
    app_state: { set_up: false, session: null, lang: 'zh-CN', data_dir: '/data', version: '0.1.0', outbox_pending: 0, startup_problems: [] },
    setup: {
      error: {
        code: 'invalid', message: '有 1 处需要修改，请查看标红的项目',
        problems: [{ field: 'county_code', code: 'code.digits', severity: 'error', message: { zh: '县级行政区划代码应为6位数字', en: 'The county code has exactly 6 digits' } }],
      },
    },
  });
  await page.fill('input[name="institution_name"]', '石桥村卫生室');
  await page.fill('input[name="county_code"]', '４５０１０');
  await page.click('button[type="submit"]');
  const label = page.locator('label', { has: page.locator('input[name="county_code"]') });
  await label.getByText('县级行政区划代码应为6位数字').waitFor();
  assert.equal(await page.locator('input[name="county_code"]').getAttribute('class').then((c) => c.includes('invalid')), true, 'the field is marked');
  const [sent] = await calls(page, 'setup');
  assert.equal(sent.req.profile.county_code, '45010', 'full-width digits are converted before sending');
  assert.equal(await page.locator('input[name="village_code_0"]').count(), 1, 'the empty village row is still there to fill in');
  await shot(page, 'setup-error-zh.png');
  await page.close();
});

test('search waits for the IME to finish composing', async () => {
  const page = await open(browser, server.url, app());
  const box = page.locator('input[name="search"]');
  await box.waitFor();
  const before = (await calls(page, 'search_residents')).length;
  await box.evaluate((el) => {
    el.focus();
    el.dispatchEvent(new CompositionEvent('compositionstart', { bubbles: true }));
    el.value = 'zhang';
    el.dispatchEvent(new InputEvent('input', { bubbles: true, isComposing: true }));
  });
  await page.waitForTimeout(400);
  assert.equal((await calls(page, 'search_residents')).length, before, 'no search on raw pinyin keystrokes');
  await box.evaluate((el) => {
    el.value = '张';
    el.dispatchEvent(new InputEvent('input', { bubbles: true, isComposing: true }));
    el.dispatchEvent(new CompositionEvent('compositionend', { bubbles: true, data: '张' }));
  });
  await page.waitForFunction(() => window.__calls.some((c) => c[0] === 'search_residents' && c[1].req.query === '张'));
  const queries = (await calls(page, 'search_residents')).map((a) => a.req.query);
  assert.deepEqual(queries.slice(before), ['张'], 'one search, with the composed text');
  assert.equal(await box.evaluate((el) => document.activeElement === el), true, 'the search never steals focus');
  await page.close();
});

test('a scanned record number and Enter opens the record', async () => {
  const page = await open(browser, server.url, app({ get_resident: zhangView }));
  await page.locator('input[name="search"]').fill('45010210110100001');
  await page.locator('input[name="search"]').press('Enter');
  await page.locator('[data-resident-name]').waitFor();
  assert.equal(await page.locator('[data-resident-name]').textContent(), '张三');
  assert.deepEqual((await calls(page, 'get_resident'))[0], { key: '45010210110100001' }, 'the scanned number is looked up as typed');
  await shot(page, 'resident-zh.png');
  await page.close();
});

test('Ctrl+K reaches the search box from anywhere', async () => {
  const page = await open(browser, server.url, app());
  await page.locator('button[data-nav="settings"]').click();
  await page.keyboard.press('Control+k');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'search');
  await page.close();
});

test('the ID number fills sex and birth date, and a draft survives a reload', async () => {
  const page = await open(browser, server.url, app({
    parse_id_number: { Ok: { number: '11010519491231002X', birth_date: '1949-12-31', sex: '2', address_code: '110105', upgraded_from: null } },
  }));
  await page.locator('button[name="new-record"]').click();
  await page.locator('input[name="name"]').fill('张三');
  await page.locator('input[name="id_number"]').fill('11010519491231002x');
  await page.locator('input[name="id_number"]').press('Tab');
  await page.waitForFunction(() => document.querySelector('input[name="birth_date"]').value === '1949-12-31');
  assert.equal(await page.locator('select[name="sex"]').inputValue(), '2');
  assert.equal(await page.locator('input[name="id_number"]').inputValue(), '11010519491231002X', 'lowercase x normalised');
  await shot(page, 'register-zh.png');
  // The typing goes to the Rust side's encrypted store a moment after it
  // stops, and nothing of it to the webview's own (plain) storage.
  await page.waitForFunction(() => window.__calls.some(([c, a]) => c === 'keep_draft' && a.key === 'resident:new' && a.value.birthDate === '1949-12-31'));
  assert.deepEqual(await page.evaluate(() => Object.keys(localStorage)), [], 'no draft in the webview storage');
  // A crash or accidental close: the typing is still there when the form opens again.
  await page.reload();
  await page.locator('button[name="new-record"]').click();
  await page.getByText('已恢复上次未保存的内容').waitFor();
  assert.equal(await page.locator('input[name="name"]').inputValue(), '张三');
  await page.close();
});

test('a draft an earlier version left in the webview storage moves into the store and leaves the plain file', async () => {
  const page = await open(browser, server.url, app());
  await page.evaluate(() => localStorage.setItem('vhr-draft:service:r1:hypertension_followup', JSON.stringify({ sbp: 150 })));
  await page.reload();
  await page.waitForFunction(() => window.__calls.some(([c]) => c === 'keep_draft'));
  const kept = await calls(page, 'keep_draft');
  assert.deepEqual(kept, [{ key: 'service:r1:hypertension_followup', value: { sbp: 150 } }], 'kept under the signed-in user, by the same form');
  assert.deepEqual(await page.evaluate(() => Object.keys(localStorage)), [], 'and gone from the plain storage');
  await page.close();
});

test('a duplicate ID number offers to open the existing record', async () => {
  const page = await open(browser, server.url, app({
    register_resident: { error: { code: 'duplicate_id_number', message: '该身份证号已建档：张三（档案号 45010210110100001），不能重复建档。可打开已有档案。', problems: [], resident_id: 'r1' } },
    get_resident: zhangView,
  }));
  await page.evaluate(() => localStorage.clear());
  await page.locator('button[name="new-record"]').click();
  await page.locator('input[name="name"]').fill('张叁');
  await page.locator('button[name="save"]').click();
  await page.getByText('该身份证号已建档').waitFor();
  await page.locator('button[name="open-existing"]').click();
  await page.locator('[data-resident-name]').waitFor();
  assert.equal(await page.locator('[data-resident-name]').textContent(), '张三');
  await page.close();
});

test('warnings need a confirmation before saving', async () => {
  const page = await open(browser, server.url, app({
    register_resident: { error: { code: 'needs_confirmation', message: '请确认后再保存', problems: [{ field: 'name', code: 'duplicate.likely', severity: 'warning', message: { zh: '可能重复建档：王芳（档案号 45010210110100007），同名且出生日期相同', en: 'Possibly a duplicate' } }] } },
  }));
  await page.evaluate(() => localStorage.clear());
  await page.locator('button[name="new-record"]').click();
  await page.locator('input[name="name"]').fill('王芳');
  await page.locator('button[name="save"]').click();
  await page.getByText('可能重复建档').waitFor();
  await page.evaluate((view) => (window.__answers.register_resident = { resident: view, warnings: [] }), zhangView);
  await page.evaluate((view) => (window.__answers.get_resident = view), zhangView);
  await page.locator('button[name="confirm-save"]').click();
  await page.waitForFunction(() => window.__calls.filter((c) => c[0] === 'register_resident').length === 2);
  const sent = await calls(page, 'register_resident');
  assert.deepEqual(sent.map((a) => a.req.confirm), [false, true], 'the second save carries the confirmation');
  await page.close();
});

test('the English interface at 1366×768', async () => {
  const page = await open(browser, server.url, app({ app_state: signedIn('en') }));
  await page.getByText('Residents', { exact: true }).first().waitFor();
  await page.locator('button[name="new-record"]').click();
  await page.locator('legend').getByText('Past history', { exact: true }).waitFor();
  assert.equal(await page.locator('[data-section-index] h2').textContent(), 'Sections', 'the index speaks English too');
  await shot(page, 'register-en.png');
  await page.close();
});

test('an existing resident joins a household as a new version of their record', async () => {
  const household = { id: 'h1', version: 1, village_code: '101', address: '石桥村3组12号', members: [
    { resident: { ...zhang, id: 'r9', name: '李建国', sex: '1', household_id: 'h1' }, relation: '户主', is_head: true },
  ] };
  const page = await open(browser, server.url, app({ get_household: household, get_resident: zhangView, set_membership: zhangView }));
  await page.evaluate(() => {
    // Open the household page the way the households list does.
    document.querySelector('button[data-nav="households"]').click();
  });
  await page.evaluate((h) => (window.__answers.list_households = [{ id: h.id, village_code: '101', address: h.address, head_name: '李建国', members: 1 }]), household);
  await page.locator('button[data-nav="workbench"]').click();
  await page.locator('button[data-nav="households"]').click();
  await page.getByText('石桥村3组12号').click();
  await page.locator('button[name="link-member"]').click();
  await page.locator('input[name="link-search"]').fill('zs');
  await page.locator('input[name="link-choice"][value="r1"]').check();
  await page.locator('input[name="link-relation"]').fill('配偶');
  await page.locator('button[name="link-save"]').click();
  await page.waitForFunction(() => window.__calls.some((c) => c[0] === 'set_membership'));
  const [sent] = await calls(page, 'set_membership');
  assert.deepEqual(sent, { residentId: 'r1', expectedVersion: 1, membership: { household_id: 'h1', relation: '配偶', is_head: false } },
    'the edit names the version it started from');
  await page.close();
});

test('the workbench counts each key population', async () => {
  const page = await open(browser, server.url, app({ overview: { residents: 300, tags: [{ tag: 'child', count: 21 }, { tag: 'elderly', count: 64 }] } }));
  await page.locator('button[data-nav="workbench"]').click();
  await page.locator('[data-tag="elderly"]').waitFor();
  assert.match(await page.locator('[data-tag="elderly"]').textContent(), /64/);
  assert.equal(await page.locator('[data-total]').textContent(), '300');
  await page.locator('[data-tag="elderly"]').click();
  await page.waitForFunction(() => window.__calls.some((c) => c[0] === 'search_residents' && c[1].req.tag === 'elderly'));
  await page.close();
});

const due = (state, due_on, zh) => ({ program: 'hypertension', form_id: 'hypertension_followup', due_on, window_end: due_on, state, reason: { zh, en: zh } });
const workItems = [
  { resident: { ...zhang, id: 'a', name: '逾期甲' }, due: due('overdue', '2026-11-01', '高血压随访 · 上次血压 152/96 · 控制不满意') },
  { resident: { ...zhang, id: 'b', name: '到期乙' }, due: due('due', '2026-11-20', '高血压随访 · 上次血压 132/84 · 控制满意') },
  { resident: { ...zhang, id: 'c', name: '预约丙' }, due: due('scheduled', '2026-12-15', '高血压随访 · 两周内随访') },
  { resident: { ...zhang, id: 'd', name: '老人丁' }, due: { ...due('due', '2026-01-01', '老年人年度健康体检 · 尚未体检'), program: 'elderly', form_id: 'health_exam' } },
];

/** The work list as the core pages it: each view's lines, and every view's count. */
const counts = { today: 2, week: 2, overdue: 1, annual: 1, all: 4, due: 2, upcoming: 0 };
const pageOf = (view, items) => ({ date: '2026-11-21', view, counts, offset: 0, items });
const worklistPages = {
  byArg: 'query.view',
  cases: {
    today: pageOf('today', workItems.slice(0, 2)),
    week: pageOf('week', workItems.slice(0, 2)),
    overdue: pageOf('overdue', workItems.slice(0, 1)),
    annual: pageOf('annual', workItems.slice(3)),
    all: pageOf('all', workItems),
  },
};

test('the work list asks the core for each view and shows its lines and counts', async () => {
  const page = await open(browser, server.url, app({ worklist_page: worklistPages }));
  await page.locator('button[data-nav="followups"]').click();
  await page.locator('[data-worklist]').waitFor();
  const names = () => page.locator('[data-worklist] tbody button[name="open-resident"]').allTextContents();
  assert.deepEqual(await names(), ['逾期甲', '到期乙'], "today's view opens first");
  assert.equal(await page.locator('[data-count="overdue"]').textContent(), '1', 'each tab carries its count');
  await page.locator('button[data-view="overdue"]').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-worklist] tbody tr').length === 1);
  assert.deepEqual(await names(), ['逾期甲']);
  await page.locator('button[data-view="annual"]').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-worklist] tbody tr[data-program="elderly"]').length === 1);
  assert.deepEqual(await names(), ['老人丁']);
  await page.locator('button[data-view="all"]').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-worklist] tbody tr').length === 4);
  assert.deepEqual(await names(), ['逾期甲', '到期乙', '预约丙', '老人丁']);
  const asked = (await calls(page, 'worklist_page')).map((c) => c.query.view);
  assert.deepEqual(asked, ['today', 'overdue', 'annual', 'all'], 'one request per view chosen, the filtering is the core\'s');
  assert.match(await page.locator('tr[data-work-item="a"]').textContent(), /逾期/, 'overdue says so in words, not only in red');
  await shot(page, 'worklist-zh.png');
  await page.close();
});

test('a long view comes a screen at a time', async () => {
  const many = Array.from({ length: 130 }, (_, i) => ({ ...workItems[0], resident: { ...workItems[0].resident, id: `r${i}`, name: `居民${i}` } }));
  const screen = (offset, items) => ({ ...pageOf('today', items), offset, counts: { ...counts, today: 130 } });
  const screens = { byArg: 'query.offset', cases: { 0: screen(0, many.slice(0, 100)), 100: screen(100, many.slice(100)) } };
  const page_ = await open(browser, server.url, app({ worklist_page: screens }));
  await page_.locator('button[data-nav="followups"]').click();
  await page_.locator('[data-worklist]').waitFor();
  const more = page_.locator('button[name="more"]');
  assert.equal((await more.textContent()).trim(), '再显示 30 条（共 130 条）', 'says how many more there are');
  await more.click();
  await page_.waitForFunction(() => document.querySelectorAll('[data-worklist] tbody tr').length === 130);
  assert.equal(await more.count(), 0, 'nothing more to show');
  const asked = await calls(page_, 'worklist_page');
  assert.equal(asked.at(-1).query.offset, 100, 'the next screen starts after the lines shown');
  await page_.close();
});

test('a fault in the program keeps what was typed and lets the doctor save again', async () => {
  const internal = { code: 'internal', message: '程序出错，本次操作未完成，已填写的内容仍保留。问题已记入日志（设置 → 日志），可导出后发给技术支持。' };
  const page = await open(browser, server.url, app({
    worklist_page: worklistPages, get_resident: zhangView, prefill_form: { visit_date: '2026-11-21', method: '1', doctor: '李春华' },
    propose_followup: null, add_service: { error: internal },
  }));
  await page.evaluate(() => localStorage.clear());
  await page.locator('button[data-nav="followups"]').click();
  await page.locator('tr[data-work-item="a"] button[name="start"]').click();
  await page.locator('input[name="values.sbp"]').fill('152');
  await page.locator('input[name="values.dbp"]').fill('96');
  await page.locator('button[name="save"]').click();
  await page.getByText('已填写的内容仍保留').waitFor();
  assert.equal(await page.locator('input[name="values.sbp"]').inputValue(), '152', 'the typing is still there');
  assert.equal(await page.locator('button[name="save"]').isEnabled(), true, 'never stuck saving: the doctor can save again');
  await page.locator('button[name="save"]').click();
  await page.waitForFunction(() => window.__calls.filter((c) => c[0] === 'add_service').length === 2);
  await shot(page, 'internal-error-zh.png');

  // A request Tauri refuses before any command runs (its own words, in
  // English) is shown as a fault, in the doctor's language, typing kept.
  await page.evaluate(() => { window.__answers.add_service = { error: "invalid args `req` for command `add_service`: missing field `values`" }; });
  await page.locator('button[name="save"]').click();
  await page.getByText('程序内部出错，已输入的内容未丢失').waitFor();
  assert.equal(await page.locator('input[name="values.sbp"]').inputValue(), '152');
  await page.close();
});

test('the follow-up form shows the proposal and applies it', async () => {
  const proposal = { classification: '2', next_step: '2', next_date: '2026-12-05', urgent: false,
    reasons: [{ zh: '血压 152/96 mmHg，未达标（<140/90）', en: 'BP 152/96 mmHg misses the target (<140/90)' }] };
  const page = await open(browser, server.url, app({
    worklist_page: worklistPages, get_resident: zhangView, prefill_form: { visit_date: '2026-11-21', method: '1', doctor: '李春华', height: 165 },
    propose_followup: proposal, add_service: { record: { next_date: '2026-12-05' }, warnings: [], proposal, ended_programs: [] },
  }));
  await page.evaluate(() => localStorage.clear());
  await page.locator('button[data-nav="followups"]').click();
  await page.locator('tr[data-work-item="a"] button[name="start"]').click();
  await page.locator('input[name="values.sbp"]').fill('152');
  await page.locator('input[name="values.dbp"]').fill('96');
  await page.locator('[data-proposal]').getByText('未达标').waitFor();
  await page.locator('button[name="apply-proposal"]').click();
  assert.equal(await page.locator('input[name="values.classification"][value="2"]').isChecked(), true);
  assert.equal(await page.locator('input[name="values.next_step"][value="2"]').isChecked(), true);
  assert.equal(await page.locator('input[name="values.next_date"]').inputValue(), '2026-12-05');
  await shot(page, 'followup-zh.png');
  await page.locator('button[name="save"]').click();
  await page.waitForFunction(() => window.__calls.some((c) => c[0] === 'add_service'));
  const [sent] = await calls(page, 'add_service');
  assert.equal(sent.req.values.sbp, '152');
  assert.equal(sent.req.values.height, 165, 'carried over from the last visit');
  assert.equal(sent.req.resident_id, 'a');
  await page.close();
});

test('a follow-up that finds the patient lost asks only for the reason, and says the programme ended', async () => {
  const page = await open(browser, server.url, app({
    worklist_page: worklistPages, get_resident: zhangView, prefill_form: { visit_date: '2026-11-21', method: '1', doctor: '李春华' },
    propose_followup: null,
    add_service: { record: { next_date: null }, warnings: [], proposal: null, ended_programs: [{ zh: '高血压随访', en: 'Hypertension follow-up' }] },
  }));
  await page.evaluate(() => localStorage.clear());
  await page.locator('button[data-nav="followups"]').click();
  await page.locator('tr[data-work-item="a"] button[name="start"]').click();
  await page.locator('input[name="values.sbp"]').waitFor();
  assert.equal(await page.locator('input[name="values.lost_reason"]').count(), 0, 'no reason asked of a patient seen');
  await page.locator('input[name="values.outcome_status"][value="2"]').check();
  await page.locator('input[name="values.lost_reason"]').fill('外出打工，联系不上');
  assert.equal(await page.locator('input[name="values.sbp"]').count(), 0, 'no readings asked of a patient not seen');
  assert.equal(await page.locator('#section-signs').count(), 0, 'the signs section is not shown');
  assert.equal(await page.locator('[data-section-index]').count(), 0, 'nor an index of what is left, two sections');
  assert.equal(await page.locator('input[name="values.method"]').count(), 0, 'nor the method of a visit that did not happen');
  await shot(page, 'followup-lost-zh.png');
  await page.locator('button[name="save"]').click();
  await page.locator('.notice').getByText('已结束管理：高血压随访').waitFor();
  const [sent] = await calls(page, 'add_service');
  assert.equal(sent.req.values.outcome_status, '2');
  assert.equal(sent.req.values.lost_reason, '外出打工，联系不上');
  await page.close();
});

test('a long form has a section index; a doctor who leaves and comes back finds the place they left', async () => {
  const page = await open(browser, server.url, app({
    worklist_page: worklistPages, get_resident: zhangView, prefill_form: { exam_date: '2026-11-21', doctor: '李春华' }, propose_followup: null,
    add_service: { error: { code: 'invalid', message: '有 1 处需要修改，请查看标红的项目', problems: [
      { field: 'values.fundus', code: 'required', severity: 'error', message: { zh: '请填写「眼底」', en: 'Fill in “Fundus”' } }] } },
  }));
  await page.evaluate(() => { localStorage.clear(); sessionStorage.clear(); });
  const startExam = async () => {
    await page.locator('button[data-nav="followups"]').click();
    await page.locator('button[data-view="annual"]').click();
    await page.locator('tr[data-work-item="d"] button[name="start"]').click();
    await page.locator('[data-section-index]').waitFor();
  };
  await startExam();
  const titles = registry().forms.health_exam.sections.map((s) => s.title.zh);
  assert.deepEqual(await page.locator('[data-section-index] button').allTextContents().then((l) => l.map((x) => x.trim())), titles,
    'every section of the paper form, in its order');
  await page.locator('[data-goto="physical"]').click();
  const place = await page.evaluate(() => {
    const box = document.querySelector('section.content');
    const top = document.getElementById('section-physical').getBoundingClientRect().top - box.getBoundingClientRect().top;
    return { top, scroll: box.scrollTop, focusIn: document.getElementById('section-physical').contains(document.activeElement) };
  });
  assert.ok(place.top >= -2 && place.top < 40, `the section moved to the top: ${place.top}`);
  assert.ok(place.scroll > 1000, `far down the form: ${place.scroll}`);
  assert.ok(place.focusIn, 'the cursor waits in its first item');
  assert.equal(await page.locator('[data-goto="physical"]').getAttribute('aria-current'), 'location', 'and the index marks it');
  await shot(page, 'exam-index-zh.png');
  await page.locator('input[name="values.waist"]').fill('88');
  const left = await page.evaluate(() => document.querySelector('section.content').scrollTop);
  assert.ok(left > 200, `typing there scrolled the form: ${left}`);
  await startExam();
  await page.locator('input[name="values.waist"]').waitFor();
  assert.equal(await page.locator('input[name="values.waist"]').inputValue(), '88', 'the draft came back');
  await page.waitForFunction((want) => Math.abs(document.querySelector('section.content').scrollTop - want) < 40, left);
  await page.locator('button[name="save"]').click();
  await page.locator('[data-goto="physical"]').getByText('需修改').waitFor();
  assert.equal(await page.locator('[data-section-index] .fix').count(), 1, 'only the section holding the item to correct is marked');
  await shot(page, 'exam-index-fix-zh.png');
  await page.close();
});

test('the programmes tab shows what is owed and ends a programme with a reason', async () => {
  const due = {
    program: 'hypertension', form_id: 'hypertension_followup', visit: null, due_on: '2026-11-20', window_end: '2026-11-20', state: 'overdue',
    reason: { zh: '高血压随访 · 上次血压 152/96 · 控制不满意 · 两周内随访', en: 'Hypertension follow-up · last BP 152/96 · uncontrolled · 2-week follow-up' },
  };
  const statuses = [
    { program: 'hypertension', label: { zh: '高血压随访', en: 'Hypertension follow-up' }, registered: false, active: true, enrolled_on: '2025-01-10', until: null, due, episodes: [] },
    {
      program: 'tuberculosis', label: { zh: '肺结核患者随访', en: 'Tuberculosis follow-up' }, registered: true, active: false, enrolled_on: null, until: null, due: null,
      episodes: [{ id: 'e1', resident_id: zhang.id, program: 'tuberculosis', version: 2, started_on: '2025-03-01', details: {}, ended_on: '2025-09-01', end_reason: '3', end_note: null,
        created_by: '李春华', created_at: '2025-03-01T01:00:00Z', updated_by: '李春华', updated_at: '2025-09-01T01:00:00Z' }],
    },
  ];
  const page = await open(browser, server.url, app({ get_resident: zhangView, programs_of: statuses, end_program: statuses[1].episodes[0] }));
  await openByScan(page);
  await page.click('button[name="programs-tab"]');
  await page.locator('[data-program="hypertension"] [data-due]').getByText('两周内随访').waitFor();
  assert.equal(await page.locator('[data-program="tuberculosis"]').getByText('完成疗程').count(), 1, 'an ended episode shows its reason from the code set');
  assert.equal(await page.locator('button[name="followup-hypertension"]').count(), 1, 'the header offers the follow-up of the active programme');
  await page.click('button[name="end-hypertension"]');
  await page.selectOption('select[name="reason"]', '5');
  await page.fill('input[name="note"]', '迁往广州');
  await shot(page, 'programs-zh.png');
  await page.click('button[name="confirm-end"]');
  await page.waitForFunction(() => window.__calls.some((c) => c[0] === 'end_program'));
  const [sent] = await calls(page, 'end_program');
  assert.equal(sent.req.program, 'hypertension');
  assert.equal(sent.req.reason, '5', 'moved away');
  assert.equal(sent.req.note, '迁往广州');
  assert.match(sent.req.ended_on, /^\d{4}-\d{2}-\d{2}$/, 'today by default');
  await page.close();
});

test('closing a record asks what the norm asks for the reason, shows what is missing beside it, then shows the handover', async () => {
  const statuses = [{ program: 'elderly', label: { zh: '老年人健康管理', en: 'Elderly care' }, registered: false, active: true, enrolled_on: '2014-12-31', until: null, due: null, episodes: [] }];
  const missing = {
    code: 'invalid', message: '有 1 处需要修改，请查看标红的项目',
    problems: [{ field: 'destination_institution', code: 'required', severity: 'error', message: { zh: '请填写迁往的机构（接收单位）', en: 'Enter the institution the record moves to' } }],
  };
  const closure = {
    on: '2026-11-20', reason: 'moved_away', destination_institution: '青秀区中山街道社区卫生服务中心', destination_address: '南宁市青秀区中山路1号',
    handover: { handed_over_by: '李春华', received_by: '张医生', items: '纸质健康档案1份' }, ended_programs: ['elderly'], closed_by: '李春华', closed_at: '2026-11-21T02:00:00Z',
  };
  const closed = { ...zhangView, resident: { ...zhangView.resident, version: 2, status: 'moved_out', closure } };
  const page = await open(browser, server.url, app({ get_resident: zhangView, programs_of: statuses, close_record: { error: missing } }));
  await openByScan(page);
  await page.click('button[name="close-record"]');
  await page.selectOption('select[name="closure-reason"]', 'moved_away');
  assert.equal(await page.locator('[data-closure-form] legend').textContent(), '档案交接记录', 'moving away asks for the handover record');
  assert.equal(await page.locator('input[name="closure-cause"]').count(), 0, 'and not for a cause of death');
  await page.fill('input[name="closure-on"]', '20261120');
  await page.click('button[name="confirm-closure"]');
  await page.locator('[data-problem="required"]').getByText('请填写迁往的机构（接收单位）').waitFor();
  await page.evaluate((answer) => { window.__answers.close_record = answer; }, { resident: closed, programs: ['elderly'] });
  await page.fill('input[name="closure-destination"]', '青秀区中山街道社区卫生服务中心');
  await page.fill('input[name="closure-address"]', '南宁市青秀区中山路1号');
  await page.fill('input[name="closure-received-by"]', '张医生');
  await page.fill('input[name="closure-items"]', '纸质健康档案1份');
  await shot(page, 'close-record-zh.png');
  await page.click('button[name="confirm-closure"]');
  await page.locator('[data-closed="moved_out"]').waitFor();
  const sent = (await calls(page, 'close_record')).at(-1);
  assert.deepEqual(sent.req, {
    resident_id: 'r1', expected_version: 1, on: '2026-11-20', reason: 'moved_away', destination_institution: '青秀区中山街道社区卫生服务中心',
    destination_address: '南宁市青秀区中山路1号', handover: { handed_over_by: '', received_by: '张医生', items: '纸质健康档案1份' },
  }, 'the date as typed, read as a date; the version the doctor saw');
  assert.match(await page.locator('[data-closed]').textContent(), /本档案已结案：迁出[\s\S]*2026-11-20[\s\S]*青秀区中山街道社区卫生服务中心/);
  assert.match(await page.locator('[data-handover]').textContent(), /张医生[\s\S]*纸质健康档案1份/, 'the handover record shows on the page');
  assert.equal(await page.locator('button[name^="followup-"]').count(), 0, 'a closed record offers no follow-up');
  assert.equal(await page.locator('select[name="other-form"]').count(), 0, 'nor any other new form');
  assert.equal(await page.locator('button[name="reopen-record"]').count(), 1, 'it can be reopened');
  assert.match(await page.locator('.notice, [role="status"]').first().textContent(), /随之结束的管理：老年人/);
  await shot(page, 'closed-record-zh.png');
  await page.close();
});

test('merging a duplicate shows both records side by side, asks about a difference, and sends the versions seen', async () => {
  const other = {
    ...zhangView,
    resident: { ...zhangView.resident, id: 'r9', version: 3, record_no: '45010210110100009', name: '张叁', id_document: { kind: 'none' }, current_address: '' },
    record_no_grouped: '450102 101 101 00009',
  };
  const preview = {
    keep: zhangView, duplicate: other, services: 4, moving_programs: ['tuberculosis'],
    problems: [{ field: 'duplicate', code: 'merge.name_differs', severity: 'warning', message: { zh: '姓名不同：张三 / 张叁', en: 'The names differ: 张三 / 张叁' } }],
  };
  const merged = { ...zhangView, resident: { ...zhangView.resident, version: 2, merged_from: [{ id: 'r9', record_no: '45010210110100009' }] } };
  const page = await open(browser, server.url, app({ get_resident: zhangView, merge_preview: preview, merge_records: { resident: merged, programs: ['tuberculosis'] } }));
  await openByScan(page);
  await page.click('button[name="merge-record"]');
  await page.fill('input[name="merge-other"]', '45010210110100009');
  await page.click('button[name="merge-look"]');
  await page.locator('[data-merge-preview]').waitFor();
  assert.deepEqual((await calls(page, 'merge_preview'))[0], { keep: 'r1', duplicate: '45010210110100009' });
  assert.equal(await page.locator('[data-merge-preview] tr.differs').count(), 4, 'name, ID number, record number and address differ');
  assert.match(await page.locator('[data-merge-moves]').textContent(), /4 份[\s\S]*肺结核/, 'what moves');
  assert.equal(await page.locator('button[name="confirm-merge"]').textContent(), '确认是同一人，仍然合并', 'a difference asks for confirmation');
  await shot(page, 'merge-preview-zh.png');
  await page.click('button[name="confirm-merge"]');
  await page.locator('[data-merged-from]').waitFor();
  assert.deepEqual((await calls(page, 'merge_records'))[0].req, { keep_id: 'r1', keep_version: 1, duplicate_id: 'r9', duplicate_version: 3, confirm: true });
  assert.match(await page.locator('[data-merged-from]').textContent(), /45010210110100009/, 'the record kept names the record merged into it');
  await page.close();
});

test('the card tab previews the card, prints it and lists every print', async () => {
  const card = {
    resident_id: zhang.id, name: '张三', sex: '男', birth_date: '1949-12-31', record_no: '45010210110100001', abo: '3', rh: '2',
    chronic: { none: false, hypertension: true, diabetes: false, stroke: true, coronary: false, asthma: false, occupational: false, other: false, other_text: '' },
    allergies: '青霉素', home_address: '石桥村三组12号', home_phone: '13800138000', emergency_contact: '张明', emergency_phone: '13907715678',
    institution: '青山镇卫生院石桥村卫生室', institution_phone: '0771-5550123', doctor: '李春华', doctor_phone: '', notes: '',
  };
  const saved = { path: '/data/prints/信息卡-张三-45010210110100001-20261121.pdf', count: 1 };
  const page = await open(browser, server.url, app({
    get_resident: zhangView, card_of: card, prints_of: [], print_card: saved,
  }));
  await openByScan(page);
  await page.click('button[name="card-tab"]');
  await page.locator('[data-card-name]').getByText('张三').waitFor();
  assert.equal(await page.locator('[data-card]').getByText('☑高血压').count(), 1, 'the C2 ticks show as on the card');
  await page.evaluate(() => (window.__answers.prints_of = [{ job: 'j1', at: '2026-11-21T02:00:00Z', user_name: '李春华', kind: 'card', resident_id: 'x', record_id: null }]));
  await page.click('button[name="print-card"]');
  await page.locator(`[data-printed="${saved.path}"]`).waitFor();
  assert.deepEqual((await calls(page, 'print_card'))[0], { residentId: zhang.id });
  await page.locator('[data-print-log]').getByText('李春华').waitFor();
  await shot(page, 'card-zh.png');
  await page.close();
});

test('the cards of records created since a day print as one batch, the day typed as on paper', async () => {
  const saved = { path: '/data/prints/信息卡-2026-11-01起建档-20261121.pdf', count: 12 };
  const page = await open(browser, server.url, app({ print_cards: saved }));
  await page.locator('button[data-nav="residents"]').click();
  const button = page.locator('button[name="print-cards-since"]');
  assert.equal(await button.isDisabled(), true, 'no day yet: nothing to print');
  await page.locator('input[name="cards-since"]').fill('2026.11.31');
  assert.equal(await button.isDisabled(), true, 'not a real day');
  await page.locator('input[name="cards-since"]').fill('20261101');
  await button.click();
  await page.locator(`[data-printed="${saved.path}"]`).waitFor();
  assert.deepEqual((await calls(page, 'print_cards'))[0], { req: { kind: 'since', date: '2026-11-01' } });
  await shot(page, 'residents-print-since-zh.png');
  await page.close();
});

test('the card size is set in Settings, and a size that does not fit A4 is refused in words', async () => {
  const page = await open(browser, server.url, app({
    card_size: { width_mm: 85.6, height_mm: 53.98 }, set_language: null,
    set_my_phone: { id: 'u1', username: 'li', display_name: '李春华', role: 'admin', phone: '138-7871-2345' },
    set_card_size: { error: { code: 'invalid', message: '有 1 处需要修改，请查看标红的项目', problems: [
      { field: 'card_size', code: 'print.card_size', severity: 'error', message: { zh: '信息卡尺寸 300×80 毫米放不进 A4 纸', en: 'A 300 × 80 mm card does not fit on A4' } },
    ] } },
  }));
  await page.locator('button[data-nav="settings"]').click();
  await page.waitForFunction(() => document.querySelector('input[name="card_width"]')?.value === '85.6');
  await page.fill('input[name="card_width"]', '300');
  await page.fill('input[name="card_height"]', '80');
  await page.click('button[name="save-card-size"]');
  await page.locator('[data-card-size-message]').getByText('放不进 A4 纸').waitFor();
  assert.deepEqual((await calls(page, 'set_card_size'))[0], { size: { width_mm: 300, height_mm: 80 } });

  // The doctor's own phone, for the cards of their residents, goes to the core as typed.
  await page.fill('input[name="my_phone"]', '１３８-7871-2345');
  await page.click('button[name="save-phone"]');
  await page.locator('[data-phone-message]').getByText('已保存').waitFor();
  assert.deepEqual((await calls(page, 'set_my_phone'))[0], { phone: '１３８-7871-2345' });
  assert.equal(await page.inputValue('input[name="my_phone"]'), '138-7871-2345', 'and shows it as stored');
  await page.close();
});

test('a village short of record numbers is warned about on the workbench, and a block from the township is added in Settings', async () => {
  const v101 = {
    village_code: '101', village_name: '石桥村', left: 0, total: 2, warn: true, provisional: 1, arrived_inside: 1,
    blocks: [{ start: 500, end: 501, source: 'setup', note: '', added_by: '李春华', added_at: '2025-01-10T00:00:00Z' }],
  };
  const v102 = { village_code: '102', village_name: '河口村', left: 2, total: 2, warn: false, provisional: 0, arrived_inside: 0, blocks: [] };
  const page = await open(browser, server.url, app({
    overview: { residents: 3, tags: [] }, serial_warnings: [v101], village_serials: [v101, v102], card_size: { width_mm: 85.6, height_mm: 53.98 },
    add_serial_block: [{ resident_id: 'r3', name: '丙', provisional: '450102101101L0001', record_no: '45010210110101000' }],
  }));
  await page.locator('button[data-nav="workbench"]').click();
  const banner = page.locator('[data-serial-warning="101"]');
  await banner.getByText('石桥村有 1 份档案暂用临时编号').waitFor();
  await banner.locator('button').click();

  const row = page.locator('[data-village-serials="101"]');
  await row.waitFor();
  assert.match(await row.locator('[data-left]').textContent(), /0 \/ 2.*请尽快申请新号段/);
  assert.equal((await row.locator('[data-provisional]').textContent()).trim(), '1');
  assert.match(await row.locator('[data-arrived]').textContent(), /1.*核对号段/, 'numbers from another install are reported');
  assert.match(await page.locator('[data-village-serials="102"]').textContent(), /尚未建档/);
  await page.fill('input[name="block_start"]', '０１０００');
  await page.fill('input[name="block_end"]', '1999');
  await page.fill('input[name="block_note"]', '青卫字〔2026〕12号');
  await row.scrollIntoViewIfNeeded();
  await shot(page, 'serial-blocks-zh.png');
  await page.click('button[name="add-block"]');
  await page.locator('[data-block-message]').getByText('1 份临时编号档案已换为正式编号').waitFor();
  assert.deepEqual((await calls(page, 'add_serial_block'))[0], {
    req: { village_code: '101', start: '０１０００', end: '1999', note: '青卫字〔2026〕12号' },
  }, 'what was typed goes to the core as typed');
  await page.close();
});

test('the sync indicator follows the background sync, and the sync page retries a refused record and settles a conflict field by field', async () => {
  const status = { state: 'attention', waiting: 2, quarantined: 1, conflicted: 1, set_aside: 1, last_success: '2026-11-21T01:00:00Z', last_error: null };
  const page = await open(browser, server.url, app({
    sync_status: status, sync_now: null, retry_sync: null, resolve_conflicts: null, sync_outside: [zhang],
    sync_set_aside: [
      { resource_type: 'Patient', resource_id: 'r9', server_version: '4', resident_id: null, tries: 3,
        reason_zh: '身份证号中的出生日期为 1956-03-10，与所填出生日期不一致', reason_en: 'The ID number gives the birth date 1956-03-10, which differs from the one entered',
        first_seen: '2026-11-20T01:00:00Z', last_tried: '2026-11-21T01:00:00Z' },
    ],
    sync_attention: [
      { entity: 'service_record', entity_id: 's1', version: 1, state: 'quarantined', at: '2026-11-21T01:00:00Z',
        reason: "Observation/s1-heart-rate: 平台校验未通过 / refused by the platform's validator: value '8867-4 ' is not a valid code" },
      { entity: 'resident', entity_id: 'r1', version: 3, state: 'conflict', reason: 'phone', at: '2026-11-21T01:00:00Z' },
    ],
    sync_conflicts: [{ id: 7, entity: 'resident', entity_id: 'r1', field: 'phone', base: '13800138000', local: '13800000003', remote: '13800000002', server_version: '3' }],
  }));
  const indicator = page.locator('[data-sync-status]');
  await page.locator('[data-sync-status="attention"]').waitFor();
  assert.equal((await indicator.textContent()).trim(), '3 条需处理 · 2 条待上传', 'what the platform sent and was not taken counts too');

  await indicator.click();
  await page.getByText('is not a valid code').waitFor();
  const setAside = page.locator('[data-set-aside-row="Patient/r9"]');
  await setAside.getByText('与所填出生日期不一致').waitFor();
  assert.match(await setAside.textContent(), /居民档案.*已尝试 3/, 'what it is and how often it was tried');
  assert.equal(await setAside.locator('button').count(), 0, 'a resident not on this computer has no page to open');
  await page.locator('[data-outside]').getByText('张三').waitFor();
  await page.click('button[name="retry"]');
  assert.deepEqual((await calls(page, 'retry_sync'))[0], { entity: 'service_record', id: 's1' });

  const save = page.locator('[data-conflict="resident/r1"] button[name="save-choices"]');
  assert.equal(await save.isDisabled(), true, 'nothing is saved before a choice is made for every field');
  await page.check('input[name="choice-7"][value="remote"]');
  await shot(page, 'sync-zh.png');
  await save.click();
  assert.deepEqual((await calls(page, 'resolve_conflicts'))[0], {
    req: { entity: 'resident', entity_id: 'r1', choices: [{ conflict_id: 7, choice: 'remote' }] },
  });

  // A pass runs in the background: progress, then up to date.
  await emit(page, 'sync-progress', { phase: 'push', done: 5, total: 20 });
  await page.locator('[data-sync-status="syncing"]').getByText('同步中 5/20').waitFor();
  await emit(page, 'sync-finished', { pulled: 1, pushed: 20, quarantined: 0, conflicted: 0, offline: false, error: null, counts: { waiting: 0, quarantined: 0, conflicted: 0 } });
  await emit(page, 'sync-status', { ...status, state: 'up_to_date', waiting: 0, quarantined: 0, conflicted: 0 });
  await page.locator('[data-sync-status="up_to_date"]').getByText('已是最新').waitFor();
  await page.close();
});

test('the platform is set in Settings; the stored secret is never shown, only replaced', async () => {
  const setup = { base_url: '', interval_seconds: 300, credentials_kind: 'none', token_url: '', client_id: '', scope: '', has_secret: false, secret: null };
  const page = await open(browser, server.url, app({
    card_size: { width_mm: 85.6, height_mm: 53.98 }, platform_setup: setup,
    set_platform_setup: { ...setup, base_url: 'https://platform.example/fhir', credentials_kind: 'bearer', has_secret: true },
  }));
  await page.locator('button[data-nav="settings"]').click();
  await page.fill('input[name="platform_url"]', 'https://platform.example/fhir');
  await page.selectOption('select[name="credentials_kind"]', 'bearer');
  await page.fill('input[name="platform_secret"]', 'tok-123');
  await page.click('button[name="save-platform"]');
  await page.locator('[data-platform-message]').getByText('已保存').waitFor();
  const sent = (await calls(page, 'set_platform_setup'))[0].req;
  assert.deepEqual([sent.base_url, sent.credentials_kind, sent.secret], ['https://platform.example/fhir', 'bearer', 'tok-123']);
  assert.equal(await page.inputValue('input[name="platform_secret"]'), '', 'the secret leaves the screen once saved');
  assert.match(await page.getAttribute('input[name="platform_secret"]', 'placeholder'), /已保存（不显示）/);
  await page.close();
});

test('the recovery sheet prints as one A4 page holding the institution and the code, without the buttons', async () => {
  const code = 'K7QM-2XPA-9RTD-VW4E-H3NB-6CJF-ZL8Y-5GUS';
  const page = await open(browser, server.url, app({
    app_state: { ...signedIn(), session: null },
    sign_in: { ...signedIn().session, recovery_code: code, idle_lock_minutes: 10 },
  }));
  await page.locator('input[name="username"]').fill('li');
  await page.locator('input[name="password"]').fill('correct horse');
  await page.evaluate((state) => (window.__answers.app_state = state), signedIn());
  await page.locator('button[type="submit"]').click();
  await page.locator('[data-recovery-code]').waitFor();
  const inside = () => page.evaluate(() => {
    const code = document.querySelector('[data-recovery-code]').getBoundingClientRect();
    const panel = document.querySelector('[data-recovery-code]').closest('section').getBoundingClientRect();
    return code.right <= panel.right && code.height < 2 * parseFloat(getComputedStyle(document.querySelector('[data-recovery-code]')).fontSize);
  });
  assert.ok(await inside(), 'the code fits its sheet on one line, on screen');
  const dir = new URL('./artifacts/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const pdf = fileURLToPath(new URL('recovery-sheet-zh.pdf', dir));
  await page.emulateMedia({ media: 'print' });
  assert.ok(await inside(), 'and on paper');
  await page.pdf({ path: pdf, format: 'A4', printBackground: true });
  const text = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' });
  assert.match(execFileSync('pdfinfo', [pdf], { encoding: 'utf8' }), /Pages:\s+1\n/, 'one sheet of paper');
  assert.ok(text.includes(code), `the code is printed whole: ${text}`);
  assert.ok(text.includes('青山镇卫生院石桥村卫生室'), 'with the institution it opens');
  assert.ok(!text.includes('我已妥善保存') && !text.includes('打印恢复单'), `the buttons are not printed: ${text}`);
  execFileSync('pdftoppm', ['-png', '-r', '60', '-singlefile', pdf, fileURLToPath(new URL('recovery-sheet-zh', dir))]);
  await page.close();
});

test('a restore shows the backup next to what is on file, then the window returns to sign-in saying where the replaced file is kept', async () => {
  const summary = { schema_version: 21, residents: 118, services: 930, last_change: '2026-11-20T09:12:00Z', tables: 30, rows: 5000, bytes: 4200000 };
  const page = await open(browser, server.url, app({
    card_size: { width_mm: 85.6, height_mm: 53.98 },
    list_backups: [
      { name: 'daily-20261121.vhrbak', path: '/data/backups/daily-20261121.vhrbak', kind: 'daily', bytes: 4200000 },
      { name: 'replaced-20261120-081500.vhrbak', path: '/data/backups/replaced-20261120-081500.vhrbak', kind: 'replaced', bytes: 4100000 },
    ],
    last_integrity_check: { full: true, at: '2026-11-21T02:00:00Z', on: '2026-11-21', damage: null },
    restore_preview: { path: '/data/backups/daily-20261121.vhrbak', backup: summary, now: { residents: 120, services: 941, last_change: '2026-11-21T01:40:00Z', unsent: 3 } },
    restore_backup: { from: '/data/backups/daily-20261121.vhrbak', summary, kept_at: '/data/backups/replaced-20261121-100000.vhrbak', replay: { written: 3, already_here: 0, different: 0, unreadable: 0, numbers_reserved: 2 }, replay_problem: null },
  }));
  await page.locator('button[data-nav="settings"]').click();
  await page.locator('[data-integrity]').getByText('完好').waitFor();
  assert.equal(await page.locator('tr[data-backup="replaced-20261120-081500.vhrbak"] button[name="restore"]').count(), 0, 'a replaced file is kept, not offered as a backup');
  await page.click('tr[data-backup="daily-20261121.vhrbak"] button[name="restore"]');
  const preview = page.locator('[data-restore-preview]');
  await preview.waitFor();
  assert.match(await preview.textContent(), /档案\s*118\s*120[\s\S]*尚未上传的修改\s*—\s*3/, 'both sides, and what is not yet sent');
  assert.deepEqual(await calls(page, 'restore_backup'), [], 'nothing is replaced before the doctor confirms');
  await shot(page, 'restore-preview-zh.png');
  await page.evaluate(() => { window.__answers.app_state = { ...window.__answers.app_state, session: null }; });
  await page.click('button[name="restore-confirm"]');
  const notice = page.locator('[data-sign-in-notice]');
  await notice.waitFor();
  assert.match(await notice.textContent(), /重新写入未上传的修改 3 条[\s\S]*replaced-20261121-100000/, await notice.textContent());
  assert.deepEqual(await calls(page, 'restore_backup'), [{ path: '/data/backups/daily-20261121.vhrbak' }]);
  await page.close();
});

test('a damaged database at sign-in offers the last good backup, with the password typed again', async () => {
  const damaged = { code: 'database_damaged', message: '数据库文件已损坏（hmac check failed for pgno=78）。程序不会改动损坏的文件。请用最近一次完好的备份恢复', problems: [], resident_id: null };
  const summary = { schema_version: 21, residents: 40, services: 300, last_change: null, tables: 30, rows: 900, bytes: 900000 };
  const page = await open(browser, server.url, {
    app_state: { ...signedIn(), session: null },
    sign_in: { error: damaged },
    restore_damaged: [{ clinic, user: { id: 'u1', username: 'li', display_name: '李春华', role: 'admin' } },
      { from: '/data/backups/daily-20261120.vhrbak', summary, kept_at: '/data/backups/replaced-20261121-100000.vhrbak', replay: { written: 0, already_here: 0, different: 0, unreadable: 12, numbers_reserved: 0 }, replay_problem: null }],
  });
  await page.fill('input[name="username"]', 'li');
  await page.fill('input[name="password"]', 'correct horse');
  await page.click('button.primary');
  await page.locator('[data-damaged]').waitFor();
  assert.equal(await page.locator('button[name="restore-damaged"]').isDisabled(), true, 'the password, cleared, is typed again first');
  await shot(page, 'damaged-sign-in-zh.png');
  await page.fill('input[name="password"]', 'correct horse');
  await page.click('button[name="restore-damaged"]');
  await page.waitForFunction(() => window.__calls.some((c) => c[0] === 'restore_damaged'));
  assert.deepEqual(await calls(page, 'restore_damaged'), [{ username: 'li', password: 'correct horse', path: null }]);
  await page.close();
});
