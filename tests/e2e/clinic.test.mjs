// End to end in the real desktop window (tauri-driver + WebKitWebDriver under
// Xvfb): set up a clinic, register a resident in Chinese, restart the app,
// find them by pinyin initials, edit, and see the change in the history.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDriver, Session } from './webdriver.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const app = process.env.VHR_APP_BINARY ?? join(root, 'target/debug/village-health-desktop');
const dataDir = mkdtempSync(join(tmpdir(), 'vhr-e2e-'));
let driver;

before(async () => {
  assert.ok(existsSync(app), `build the desktop app first: ${app}`);
  driver = await startDriver(4444 + Math.floor(Math.random() * 400) * 2);
});

after(() => driver?.stop());

async function withApp(f) {
  const s = await Session.open(driver.base, app, ['--data-dir', dataDir]);
  try {
    await f(s);
  } catch (e) {
    await s.screenshot('failure.png').catch(() => {});
    throw e;
  } finally {
    await s.close();
  }
}

/** Fills the personal basic information form the way a doctor clicks through it. */
async function fillBasicInfo(s) {
  const tick = (field, value) => s.click(`input[name="basic_info.${field}"][value="${value}"]`);
  await s.type('input[name="basic_info.work_unit"]', '务农');
  await s.select('select[name="basic_info.ethnicity"]', '01');
  await tick('blood_abo', '3');
  await tick('blood_rh', '2');
  await s.select('select[name="basic_info.education"]', '7');
  await s.select('select[name="basic_info.occupation"]', '4');
  await tick('marital', '2');
  await tick('payment', '3');
  await tick('drug_allergy', '1');
  await tick('exposure', '1');
  await tick('past_diseases', '2');
  await s.type('input[name="basic_info.past_diseases.2.date"]', '2015-03');
  for (const f of ['surgery', 'trauma', 'transfusion', 'genetic']) await tick(f, '1');
  for (const f of ['family_father', 'family_mother', 'family_siblings', 'family_children']) await tick(f, '1');
  await tick('disability', '1');
  await tick('kitchen_exhaust', '4');
  await tick('fuel', '5');
  await tick('water', '1');
  await tick('toilet', '1');
  await tick('livestock', '2');
}

test('set up, register in Chinese, restart, find by initials, edit, see history', async () => {
  let recordNo;
  await withApp(async (s) => {
    await s.waitFor('input[name="institution_name"]');
    await s.screenshot('01-setup-zh.png');
    await s.type('input[name="institution_name"]', '青山镇卫生院石桥村卫生室');
    await s.type('input[name="county_code"]', '450102');
    await s.type('input[name="township_code"]', '101');
    await s.type('input[name="township_name"]', '青山镇');
    await s.type('input[name="village_code_0"]', '101');
    await s.type('input[name="village_name_0"]', '石桥村');
    await s.click('button[name="add-village"]');
    await s.type('input[name="village_code_1"]', '102');
    await s.type('input[name="village_name_1"]', '河口村');
    await s.type('input[name="username"]', 'li');
    await s.type('input[name="display_name"]', '李春华');
    await s.type('input[name="password"]', 'correct horse');
    await s.click('button[type="submit"]');
    // The recovery sheet comes first, once: a code in groups of four.
    await s.waitFor('[data-recovery-code]');
    assert.match(await s.text('[data-recovery-code]'), /^[0-9A-Z]{4}(-[0-9A-Z]{4}){7}$/, 'the recovery code is shown to print');
    await s.screenshot('01b-recovery-sheet-zh.png');
    await s.click('button[name="recovery-kept"]');
    await s.waitFor('button[name="new-record"]');

    await s.click('button[name="new-record"]');
    await s.type('input[name="name"]', '张三');
    await s.type('input[name="id_number"]', '11010519491231002x');
    await s.keys('input[name="id_number"]', '\uE004'); // Tab: leaving the ID field reads it
    assert.equal(await s.waitForValue('input[name="birth_date"]', '1949-12-31'), '1949-12-31', 'the birth date is prefilled from the ID number');
    assert.equal(await s.waitForValue('select[name="sex"]', '2'), '2', 'the sex is prefilled: sequence 002 is even, female');
    await s.type('input[name="phone"]', '13800138000');
    await s.select('select[name="village_code"]', '101'); // two villages: the doctor picks one
    await s.type('input[name="current_address"]', '石桥村3组12号');
    await fillBasicInfo(s);
    await s.screenshot('02-register-zh.png');
    await s.click('button[name="save"]');
    await s.waitFor('[data-resident-name]');
    assert.equal(await s.text('[data-resident-name]'), '张三');
    assert.match(await s.text('.notice'), /已建档，档案编号 450102 101 101 00001/, 'the doctor is told the new number');
    recordNo = await s.text('[data-record-no]');
    assert.equal(recordNo, '450102 101 101 00001', 'the first record number of village 101');
    await s.screenshot('03-resident-zh.png');
  });

  // A restart: a new process on the same data folder.
  await withApp(async (s) => {
    // Type only once the sign-in page has put the cursor in the first field, as a person would.
    await s.waitFor('input[name="username"]:focus');
    await s.type('input[name="username"]', 'li');
    await s.type('input[name="password"]', 'correct horse');
    await s.click('button[type="submit"]');
    await s.type('input[name="search"]', 'zs');
    await s.waitForText('table.results', '张三');
    await s.screenshot('04-search-initials-zh.png');
    await s.click('table.results tbody tr td.name');
    await s.waitFor('button[name="edit"]');
    assert.equal(await s.text('[data-record-no]'), recordNo, 'the same record after the restart');

    await s.click('button[name="edit"]');
    await s.waitFor('input[name="phone"]');
    await s.type('input[name="phone"]', '13900000000');
    await s.keys('input[name="phone"]', '\uE007'); // Enter saves
    await s.waitFor('button[name="history-tab"]');
    await s.click('button[name="history-tab"]');
    await s.waitFor('tr[data-change="phone"]');
    const row = await s.text('tr[data-change="phone"]');
    assert.match(row, /13800138000/, 'the old phone number is shown');
    assert.match(row, /13900000000/, 'the new phone number is shown');
    assert.match(row, /李春华/, 'who made the change is shown');
    await s.screenshot('05-history-zh.png');

    // The settings page shows the support log: how the app ran, nothing personal.
    await s.click('button[data-nav="settings"]');
    const log = await s.waitForText('[data-log]', 'program="desktop"');
    assert.doesNotMatch(log, /张三|13800138000|13900000000/, 'no name or phone in the log');
    await s.click('button[name="export-log"]');
    await s.waitForText('[data-log-message]', 'village-health-log-');
    await s.screenshot('05b-settings-log-zh.png');

    // The doctor's own phone, for the cards, typed with full-width digits.
    await s.type('input[name="my_phone"]', '１３８７８７１２３４５');
    await s.click('button[name="save-phone"]');
    await s.waitForText('[data-phone-message]', '已保存');
    assert.equal(await s.waitForValue('input[name="my_phone"]', '13878712345'), '13878712345', 'stored as digits');

    // The administrator adds a village doctor for 河口村; a short password is refused beside its field.
    await s.exec('document.querySelector("[data-add-user]").scrollIntoView()');
    await s.type('input[name="new_username"]', 'wang');
    await s.type('input[name="new_display_name"]', '王医生');
    await s.type('input[name="new_user_password"]', 'short');
    await s.click('button[name="add-user"]');
    await s.waitForText('[data-add-user] [data-problem="user.password_short"]', '密码至少8位');
    await s.waitForText('[data-add-user] [data-problem="user.villages_empty"]', '至少选择一个负责的村');
    await s.type('input[name="new_user_password"]', 'short-but-longer');
    await s.click('input[name="new-village-102"]');
    await s.click('button[name="add-user"]');
    await s.waitForText('[data-user="wang"]', '村医');
    assert.match(await s.text('[data-user="wang"] [data-user-state]'), /在用/, 'the new account can sign in');
    assert.equal(await s.text('[data-user="wang"] [data-user-villages]'), '河口村', 'and keeps 河口村 only');
    await s.screenshot('05d-settings-users-zh.png');

    // 王医生 signs in on the same laptop: 张三 of 石桥村 is not theirs, by name or by initials.
    await s.click('button[name="sign-out"]');
    await s.waitFor('input[name="username"]:focus');
    await s.type('input[name="username"]', 'wang');
    await s.type('input[name="password"]', 'short-but-longer');
    await s.click('button[type="submit"]');
    await s.waitFor('input[name="search"]');
    for (const query of ['zs', '张三']) {
      await s.type('input[name="search"]', query);
      await s.waitFor('[data-no-results]');
    }
    assert.doesNotMatch(await s.text('.main'), /张三/, 'nothing of 张三 shows');
    await s.screenshot('05e-village-doctor-own-village-zh.png');
    await s.click('button[name="sign-out"]');
    await s.waitFor('input[name="username"]:focus');
    await s.type('input[name="username"]', 'li');
    await s.type('input[name="password"]', 'correct horse');
    await s.click('button[type="submit"]');
    await s.waitFor('button[data-nav="settings"]');
    await s.click('button[data-nav="settings"]');

    // Record numbers per village: village 101 issued one of its 99,999.
    await s.exec('document.querySelector("[data-serials]").scrollIntoView()');
    assert.match(await s.waitForText('[data-village-serials="101"] [data-left]', '99998'), /99998 \/ 99999/);
    // A block that overlaps the village's own is refused in words.
    await s.type('input[name="block_start"]', '50000');
    await s.type('input[name="block_end"]', '50999');
    await s.click('button[name="add-block"]');
    await s.waitForText('[data-problem="serial_block.overlap"]', '与本村已有号段 00001–99999 重叠');
    await s.screenshot('05c-serial-blocks-zh.png');

    // A backup now, then restored: what it holds next to what is on file
    // first; afterwards the window is back at sign-in, saying where the
    // replaced file is kept, and the record is there after signing in.
    await s.exec('document.querySelector("[data-backups]").scrollIntoView()');
    await s.click('button[name="backup-now"]');
    await s.waitForText('[data-backup-message]', '已备份并检查无误');
    await s.click('tr[data-backup^="manual-"] button[name="restore"]');
    assert.match(await s.waitForText('[data-restore-preview]', '备份中'), /档案\s*1\s*1/);
    await s.exec('document.querySelector("[data-restore-preview]").scrollIntoView()');
    await s.screenshot('05f-restore-preview-zh.png');
    await s.click('button[name="restore-confirm"]');
    assert.match(await s.waitForText('[data-sign-in-notice]', '已恢复'), /replaced-/);
    await s.screenshot('05g-restored-sign-in-zh.png');
    await signIn(s, 'li', 'correct horse');
    await s.type('input[name="search"]', '张三');
    await s.waitForText('table.results', '张三');
    await s.click('button[data-nav="settings"]');

    // The same window in English.
    await s.select('select[name="language"]', 'en');
    await s.waitForText('nav', 'Residents');
    await s.click('button[data-nav="residents"]');
    await s.screenshot('06-residents-en.png');
  });
});

async function signIn(s, username, password) {
  await s.waitFor('input[name="username"]:focus');
  await s.type('input[name="username"]', username);
  await s.type('input[name="password"]', password);
  await s.click('button[type="submit"]');
  await s.waitFor('button[data-nav="settings"]');
}

const unlocked = (s) => s.exec('return document.querySelector("[data-locked]") === null');

test('the idle lock keeps a half-typed form, and so does a closed window; who opened a record; the trail checked', async () => {
  await withApp(async (s) => {
    await signIn(s, 'li', 'correct horse');
    // Back to Chinese (the test before ended in English); then the
    // administrator shortens the idle lock to one minute.
    await s.click('button[data-nav="settings"]');
    await s.select('select[name="language"]', 'zh-CN');
    await s.waitForText('nav', '工作台');
    await s.exec('document.querySelector("[data-idle-lock]").scrollIntoView()');
    await s.type('input[name="idle_lock_minutes"]', '1');
    await s.click('button[name="save-idle-lock"]');
    await s.waitForText('[data-idle-message]', '已保存');

    // A registration half typed, then the doctor steps away.
    await s.click('button[data-nav="residents"]');
    await s.click('button[name="new-record"]');
    await s.type('input[name="name"]', '赵桂兰');
    await s.type('input[name="phone"]', '13712345678');
    await s.waitFor('[data-locked]', 90000);
    await s.screenshot('09-idle-lock-zh.png');
    assert.match(await s.text('[data-locked]'), /李春华/, 'the lock names who is signed in');
    await s.type('input[name="unlock_password"]', 'wrong password');
    await s.click('button[name="unlock"]');
    await s.waitForText('[data-unlock-error]', '密码');
    await s.type('input[name="unlock_password"]', 'correct horse');
    await s.click('button[name="unlock"]');
    for (let i = 0; i < 50 && !(await unlocked(s)); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(await unlocked(s), 'the password unlocks it');
    assert.equal(await s.waitForValue('input[name="name"]', '赵桂兰'), '赵桂兰', 'the half-typed name is there after unlocking');
    assert.equal(await s.waitForValue('input[name="phone"]', '13712345678'), '13712345678', 'and the phone');

    // Ctrl+L locks at once.
    await s.keys('input[name="phone"]', '\uE009l\uE000');
    await s.waitFor('[data-locked]');
    await s.type('input[name="unlock_password"]', 'correct horse');
    await s.click('button[name="unlock"]');
    for (let i = 0; i < 50 && !(await unlocked(s)); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(await unlocked(s), 'unlocked again');
    await s.click('button[data-nav="settings"]');
    await s.exec('document.querySelector("[data-idle-lock]").scrollIntoView()');
    await s.type('input[name="idle_lock_minutes"]', '10');
    await s.click('button[name="save-idle-lock"]');
    await s.waitForText('[data-idle-message]', '已保存');
  });

  // The window closed with the form half typed: the draft is in the encrypted store.
  await withApp(async (s) => {
    await signIn(s, 'li', 'correct horse');
    await s.click('button[data-nav="residents"]');
    await s.click('button[name="new-record"]');
    assert.equal(await s.waitForValue('input[name="name"]', '赵桂兰'), '赵桂兰', 'the draft came back after a restart');
    await s.waitForText('.banner.warn', '已恢复上次未保存的内容');
    await s.keys('input[name="name"]', '\uE00C'); // Escape: cancel, the draft is dropped

    // 谁查看过: the record's own trail.
    await s.type('input[name="search"]', 'zs');
    await s.waitForText('table.results', '张三');
    await s.click('table.results tbody tr td.name');
    await s.click('button[name="access-tab"]');
    await s.waitFor('tr[data-access="open"]');
    assert.match(await s.text('[data-access-log]'), /李春华/, 'who opened it');
    await s.screenshot('10-who-opened-zh.png');

    // The administrator's audit screen: the trail for 张三, and its check.
    await s.click('button[data-nav="settings"]');
    await s.exec('document.querySelector("[data-audit-filter]").scrollIntoView()');
    await s.type('input[name="audit_resident"]', '45010210110100001');
    await s.click('button[name="audit-search"]');
    await s.waitFor('[data-audit-list] tr[data-audit-entry="open"]');
    assert.equal(await s.text('[data-audit-list] [data-audit-record]'), '450102 101 101 00001', 'the record as people know it, by its number');
    await s.click('button[name="audit-verify"]');
    await s.waitFor('[data-audit-check="ok"]', 30000);
    await s.exec('document.querySelector("[data-audit-filter]").scrollIntoView()');
    await s.screenshot('11-audit-trail-zh.png');
  });
});

test('a data folder that cannot be opened is explained in the window, and left as it was', async () => {
  const broken = mkdtempSync(join(tmpdir(), 'vhr-e2e-broken-'));
  const garbage = Buffer.from('这不是数据库 / not a database '.repeat(200));
  writeFileSync(join(broken, 'village-health.db'), garbage);
  const s = await Session.open(driver.base, app, ['--data-dir', broken]);
  try {
    const why = await s.waitForText('[data-startup-failed]', '无法打开数据文件夹', 20000);
    assert.ok(why.includes(broken), 'it names the folder');
    assert.match(why, /未被改动/, 'and says nothing in it was changed');
    await s.screenshot('00-startup-failed-zh.png');
  } finally {
    await s.close();
  }
  assert.deepEqual(readFileSync(join(broken, 'village-health.db')), garbage, 'the file is left exactly as it was');
});

test('the demo clinic: workbench, a household, a new member', async () => {
  const demoDir = mkdtempSync(join(tmpdir(), 'vhr-e2e-demo-'));
  const s = await Session.open(driver.base, app, ['--data-dir', demoDir]);
  try {
    await s.click('button[name="demo"]');
    await s.waitFor('button[name="new-record"]', 60000);
    await s.click('button[data-nav="workbench"]');
    await s.waitForText('[data-total]', '300');
    const elderly = Number(await s.text('[data-tag="elderly"] .n'));
    assert.ok(elderly > 20 && elderly < 150, `a plausible number of elderly residents among 300: ${elderly}`);
    await s.screenshot('07-demo-workbench-zh.png');

    await s.click('button[data-nav="households"]');
    await s.click('table tbody tr td');
    await s.waitFor('[data-household-members]');
    const before = (await s.findAll('[data-household-members] tbody tr')).length;
    await s.screenshot('08-household-zh.png');
    await s.click('button[name="add-member"]');
    await s.type('input[name="name"]', '小明');
    await s.select('select[name="id_kind"]', 'none');
    await s.select('select[name="sex"]', '1');
    await s.type('input[name="birth_date"]', '2024/3/5');
    await s.type('input[name="relation"]', '孙子');
    await s.click('button[name="save"]');
    await s.waitFor('[data-resident-name]');
    assert.equal(await s.text('[data-resident-name]'), '小明', 'a child needs no basic information form');
    await s.click('button[name="household-tab"]');
    await s.waitFor('[data-household-members]');
    assert.equal((await s.findAll('[data-household-members] tbody tr')).length, before + 1, 'the new member is listed');
  } catch (e) {
    await s.screenshot('failure-demo.png').catch(() => {});
    throw e;
  } finally {
    await s.close();
  }
});

test('the work list: an overdue hypertension patient, an uncontrolled visit, the 2-week follow-up; another lost to follow-up', async () => {
  const demoDir = mkdtempSync(join(tmpdir(), 'vhr-e2e-work-'));
  const s = await Session.open(driver.base, app, ['--data-dir', demoDir]);
  const iso = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  try {
    await s.click('button[name="demo"]');
    await s.waitFor('button[name="new-record"]', 60000);
    await s.click('button[data-nav="followups"]');
    await s.click('button[data-view="overdue"]');
    const row = await s.waitFor('tr[data-program="hypertension"][data-state="overdue"]');
    const residentId = await s.cmd('GET', `/element/${row}/attribute/data-work-item`);
    await s.screenshot('09-worklist-overdue-zh.png');
    await s.click(`tr[data-work-item="${residentId}"][data-program="hypertension"] button[name="start"]`);

    await s.waitFor('input[name="values.sbp"]');
    await s.click('input[name="values.symptoms"][value="2"]');
    await s.click('input[name="values.emergency"][value="1"]');
    await s.type('input[name="values.sbp"]', '158');
    await s.type('input[name="values.dbp"]', '98');
    await s.click('input[name="values.adherence"][value="1"]');
    await s.click('input[name="values.adverse_reaction"][value="1"]');
    await s.waitForText('[data-proposal]', '未达标');
    const step = await s.text('[data-proposed-step]');
    assert.ok(step.startsWith('2 ') || step.startsWith('3 '), `an uncontrolled visit proposes the 2-week step (first) or referral (second): ${step}`);
    const twoWeeks = iso(new Date(Date.now() + 14 * 86400000));
    assert.equal(await s.text('[data-proposed-date]'), twoWeeks, 'the next follow-up within 2 weeks');
    await s.click('button[name="apply-proposal"]');
    await s.screenshot('10-followup-uncontrolled-zh.png');
    await s.click('button[name="save"]');

    await s.waitFor('[data-worklist], .notice');
    await s.click('button[data-view="overdue"]');
    const stillOverdue = await s.findAll(`tr[data-work-item="${residentId}"][data-program="hypertension"]`);
    assert.equal(stillOverdue.length, 0, 'the overdue item left the list');
    await s.click('button[data-view="all"]');
    const booked = await s.waitFor(`tr[data-work-item="${residentId}"][data-program="hypertension"]`);
    assert.equal(await s.cmd('GET', `/element/${booked}/attribute/data-state`), 'scheduled');
    const text = await s.cmd('GET', `/element/${booked}/text`);
    assert.match(text, new RegExp(twoWeeks), 'booked for two weeks from today');
    assert.match(text, /上次血压 158\/98 · 控制不满意 · 两周内随访/, 'with the reason');
    await s.screenshot('11-worklist-after-zh.png');

    // The resident's timeline shows the visit and the trend; the visit opens with its history and can be corrected.
    await s.click(`tr[data-work-item="${residentId}"] button[name="open-resident"]`);
    await s.waitFor('[data-timeline]');
    await s.screenshot('12-timeline-zh.png');
    const today = iso(new Date());
    await s.click('[data-timeline] tbody tr:first-child button');
    await s.waitFor('button[name="edit-service"]');
    await s.click('button[name="edit-service"]');
    await s.waitForValue('input[name="values.dbp"]', '98');
    await s.type('input[name="values.dbp"]', '96');
    await s.click('button[name="save"]');
    await s.waitFor('tr[data-change="dbp"]');
    const change = await s.text('tr[data-change="dbp"]');
    assert.match(change, /98/, 'the old diastolic reading');
    assert.match(change, /96/, 'the corrected one');
    assert.match(await s.text('h1'), new RegExp(today), 'the visit of today');
    await s.screenshot('13-service-history-zh.png');

    // The visit prints as its national form; the resident's card prints with a QR code of the record number.
    await s.click('button[name="print-form"]');
    const formPdf = await s.cmd('GET', `/element/${await s.waitFor('[data-printed]', 30000)}/attribute/data-printed`);
    assert.match(execFileSync('pdftotext', [formPdf, '-']).toString(), /高血压患者随访服务记录表/, 'the printed form');
    await s.click('button.link-button');
    await s.waitFor('button[name="card-tab"]');
    await s.click('button[name="card-tab"]');
    await s.waitFor('[data-card-name]');
    const name = await s.text('[data-card-name]');
    await s.click('button[name="print-card"]');
    const cardPdf = await s.cmd('GET', `/element/${await s.waitFor('[data-printed]', 30000)}/attribute/data-printed`);
    assert.ok(execFileSync('pdftotext', [cardPdf, '-']).toString().includes(name), `the card names ${name}`);
    const png = join(dataDir, 'card-page');
    execFileSync('pdftoppm', ['-f', '1', '-l', '1', '-r', '300', '-gray', '-png', '-singlefile', cardPdf, png]);
    const qr = execFileSync('zbarimg', ['--quiet', '--raw', `${png}.png`]).toString().trim();
    assert.match(qr, /^\d{17}$/, 'the QR code holds the 17-digit record number');
    await s.waitFor('[data-print-log]');
    await s.screenshot('14-card-zh.png');

    // Another overdue patient cannot be found: lost to follow-up, only the reason is asked, and the programme ends (V8).
    await s.click('button[data-nav="followups"]');
    await s.click('button[data-view="overdue"]');
    const lostRow = await s.waitFor('tr[data-program="hypertension"][data-state="overdue"]');
    const lostId = await s.cmd('GET', `/element/${lostRow}/attribute/data-work-item`);
    await s.click(`tr[data-work-item="${lostId}"][data-program="hypertension"] button[name="start"]`);
    await s.waitFor('input[name="values.sbp"]');
    await s.click('input[name="values.outcome_status"][value="2"]');
    await s.type('input[name="values.lost_reason"]', '外出打工，联系不上');
    assert.equal((await s.findAll('input[name="values.sbp"]')).length, 0, 'no readings asked of a patient not seen');
    await s.click('button[name="save"]');
    await s.waitForText('[role="alert"]', '高血压随访将随之结束');
    await s.screenshot('15-followup-lost-zh.png');
    await s.click('button[name="confirm-save"]');
    await s.waitForText('.notice', '已结束管理');
    await s.click('button[data-view="all"]');
    await s.waitFor('[data-worklist]');
    const lostLines = await s.findAll(`tr[data-work-item="${lostId}"][data-program="hypertension"]`);
    assert.equal(lostLines.length, 0, 'a patient lost to follow-up owes no more hypertension follow-ups');

    // A third has died: the follow-up records it and proposes closing the record, which ends everything (§9.2).
    await s.click('button[data-view="overdue"]');
    const deadRow = await s.waitFor('tr[data-program="hypertension"]');
    const deadId = await s.cmd('GET', `/element/${deadRow}/attribute/data-work-item`);
    await s.click(`tr[data-work-item="${deadId}"][data-program="hypertension"] button[name="start"]`);
    await s.waitFor('input[name="values.sbp"]');
    await s.click('input[name="values.outcome_status"][value="3"]');
    const deathDay = iso(new Date(Date.now() - 3 * 86400000));
    await s.type('input[name="values.death_date"]', deathDay);
    await s.type('input[name="values.death_cause"]', '脑出血');
    await s.click('button[name="save"]');
    await s.waitFor('button[name="confirm-save"]');
    await s.click('button[name="confirm-save"]');
    await s.waitFor('[data-closure-form="close"]');
    assert.equal(await s.waitForValue('input[name="closure-on"]', deathDay), deathDay, 'the closure is proposed on the date of death');
    assert.equal(await s.waitForValue('input[name="closure-cause"]', '脑出血'), '脑出血', 'for the cause the follow-up gave');
    await s.screenshot('16-death-proposes-closure-zh.png');
    await s.click('button[name="confirm-closure"]');
    await s.waitForText('[data-closed="dead"]', '本档案已结案：死亡');
    const deadName = await s.text('[data-resident-name]');
    assert.equal((await s.findAll('button[name^="followup-"]')).length, 0, 'no follow-up for a closed record');
    await s.screenshot('17-record-closed-zh.png');
    await s.click('button[data-nav="followups"]');
    await s.click('button[data-view="all"]');
    await s.waitFor('[data-worklist]');
    assert.equal((await s.findAll(`tr[data-work-item="${deadId}"]`)).length, 0, 'off the work list altogether');
    await s.click('button[data-nav="residents"]');
    await s.type('input[name="search"]', deadName);
    await s.waitFor('[data-no-results]');
    await s.select('select[name="status"]', 'closed');
    await s.waitForText(`tr[data-resident="${deadId}"]`, '死亡');
    await s.screenshot('18-closed-search-zh.png');

    // Another moves to the next township: the record closes as moved away
    // with its handover record, and its transfer file goes to a USB stick
    // with the code shown once (§9.3); the receiving side's screen opens
    // that file with the code and shows who it is before anything is taken in.
    const usb = mkdtempSync(join(tmpdir(), 'vhr-e2e-usb-'));
    await s.select('select[name="status"]', 'active');
    await s.exec(`const el = document.querySelector('input[name="search"]'); el.value = ''; el.dispatchEvent(new Event('input', { bubbles: true }));`);
    await s.click('table.results tbody tr[data-resident] td');
    await s.click('button[name="close-record"]');
    await s.select('select[name="closure-reason"]', 'moved_away');
    await s.type('input[name="closure-destination"]', '河湾镇柳树村卫生室');
    await s.type('input[name="closure-items"]', '纸质健康档案1份');
    await s.click('input[name="transfer-write"]');
    await s.type('input[name="transfer-folder"]', usb);
    await s.click('button[name="confirm-closure"]');
    const code = await s.waitForText('[data-transfer-code]', '-');
    assert.match(code, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/, 'a code of 16 characters to write on the handover record');
    await s.screenshot('19-transfer-code-zh.png');
    await s.click('button[name="transfer-done"]');
    await s.waitForText('[data-closed="moved_out"]', '迁出');
    const written = execFileSync('ls', [usb]).toString().trim();
    assert.match(written, /^健康档案转出-\d{17}-\d{8}\.vhrtransfer$/, `one transfer file on the stick: ${written}`);
    await s.click('button[data-nav="settings"]');
    await s.exec('document.querySelector("[data-transfer-in]").scrollIntoView()');
    await s.type('input[name="transfer-path"]', join(usb, written));
    await s.type('input[name="transfer-code"]', code.toLowerCase().replaceAll('-', ''));
    await s.click('button[name="transfer-look"]');
    await s.waitForText('[data-transfer-preview]', '河湾镇柳树村卫生室');
    await s.exec('document.querySelector("[data-transfer-preview]").scrollIntoView()');
    await s.screenshot('20-transfer-in-preview-zh.png');
  } catch (e) {
    await s.screenshot('failure-worklist.png').catch(() => {});
    throw e;
  } finally {
    await s.close();
  }
});

test('the complete set handed over: written in Settings with its code, checked and taken over on a new install', async () => {
  const fromDir = mkdtempSync(join(tmpdir(), 'vhr-e2e-handover-from-'));
  const usb = mkdtempSync(join(tmpdir(), 'vhr-e2e-handover-usb-'));
  let code;
  let s = await Session.open(driver.base, app, ['--data-dir', fromDir]);
  try {
    await s.click('button[name="demo"]');
    await s.waitFor('button[name="new-record"]', 60000);
    await s.click('button[data-nav="settings"]');
    await s.exec('document.querySelector("[data-handover-out]").scrollIntoView()');
    await s.type('input[name="handover-folder"]', usb);
    await s.click('button[name="handover-write"]');
    code = await s.waitForText('[data-handover-code]', '-', 60000);
    assert.match(code, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/, 'a code of 16 characters for the handover record');
    await s.screenshot('21-handover-code-zh.png');
  } catch (e) {
    await s.screenshot('failure-handover-out.png').catch(() => {});
    throw e;
  } finally {
    await s.close();
  }
  const written = execFileSync('ls', [usb]).toString().trim();
  assert.match(written, /^健康档案交接-\d{9}-\d{8}\.vhrhandover$/, `one archive on the stick: ${written}`);

  // The institution taking over starts the app on a new laptop.
  const toDir = mkdtempSync(join(tmpdir(), 'vhr-e2e-handover-to-'));
  s = await Session.open(driver.base, app, ['--data-dir', toDir]);
  try {
    await s.click('button[name="setup-takeover"]');
    await s.type('input[name="handover-path"]', join(usb, written));
    await s.type('input[name="handover-code"]', code);
    await s.click('button[name="handover-look"]');
    await s.waitForText('[data-handover-check]', '300 份档案', 60000);
    await s.type('[data-handover-in] input[name="username"]', 'chen');
    await s.type('[data-handover-in] input[name="display_name"]', '陈晓燕');
    await s.type('[data-handover-in] input[name="password"]', 'another horse');
    await s.screenshot('22-handover-check-zh.png');
    await s.click('button[name="handover-take"]');
    await s.waitFor('[data-recovery-code]', 60000);
    await s.click('button[name="recovery-kept"]');
    await s.click('button[data-nav="workbench"]');
    await s.waitForText('[data-total]', '300');
    await s.screenshot('23-handover-taken-over-zh.png');
  } catch (e) {
    await s.screenshot('failure-handover-in.png').catch(() => {});
    throw e;
  } finally {
    await s.close();
  }
});
