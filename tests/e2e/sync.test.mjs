// End to end in the real window: changes made while the platform is away wait
// (the indicator says so), and when the platform comes up the background sync
// sends them and the indicator reaches "up to date". The platform is the real
// FHIR peer (Helios hfs, built by scripts/setup-fhir-peer.sh) on loopback.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, copyFileSync } from 'node:fs';
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir, homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDriver, Session } from './webdriver.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const app = process.env.VHR_APP_BINARY ?? join(root, 'target/debug/village-health-desktop');
const cli = process.env.VHR_CLI_BINARY ?? join(root, 'target/debug/village-health');
const peerHome = process.env.VHR_PEER_HOME ?? join(homedir(), '.cache/village-health/fhir-peer');
let driver;

before(async () => {
  assert.ok(existsSync(app), `build the desktop app first: ${app}`);
  assert.ok(existsSync(join(peerHome, 'bin/hfs')), `install the FHIR peer first: bash scripts/setup-fhir-peer.sh`);
  driver = await startDriver(5300 + Math.floor(Math.random() * 300) * 2);
});

after(() => driver?.stop());

function freePort() {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts the FHIR peer on `port` with its own database; resolves once it answers. */
async function startPeer(port) {
  const dir = mkdtempSync(join(tmpdir(), 'vhr-e2e-peer-'));
  for (const f of ['search-parameters-r4.json', 'compartment-definitions-r4.json']) copyFileSync(join(peerHome, 'definitions', f), join(dir, f));
  const proc = spawn(join(peerHome, 'bin/hfs'), ['--port', String(port), '--host', '127.0.0.1', '--log-level', 'warn', '--data-dir', dir,
    '--database-url', join(dir, 'fhir.db'), '--enable-versioning'], { cwd: dir, env: { ...process.env, HFS_VALIDATION_MODE: 'enforce' }, stdio: 'ignore' });
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/metadata`)).ok) return proc;
    } catch {
      /* not up yet */
    }
    await sleep(100);
  }
  proc.kill('SIGKILL');
  throw new Error('the FHIR peer did not start');
}

test('changes wait while the platform is away; when it comes up the indicator reaches up to date', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vhr-e2e-sync-'));
  const port = await freePort();
  const s = await Session.open(driver.base, app, ['--data-dir', dir]);
  let peer;
  try {
    await s.click('button[name="demo"]');
    await s.waitFor('button[name="new-record"]', 60000);
    await s.waitFor('[data-sync-status="off"]', 20000);

    // The platform's address is set while it is down: everything waits.
    await s.click('button[data-nav="settings"]');
    await s.type('input[name="platform_url"]', `http://127.0.0.1:${port}`);
    await s.click('button[name="save-platform"]');
    await s.waitForText('[data-platform-message]', '已保存');
    await s.waitFor('[data-sync-status="offline"]', 30000);
    const waiting = await s.text('[data-sync-status]');
    assert.match(waiting, /^离线 · \d+ 条待上传$/, 'the indicator says offline and how much waits');
    await s.screenshot('10-sync-offline-zh.png');

    peer = await startPeer(port);
    await s.waitFor('[data-sync-status="up_to_date"]', 180000);
    assert.equal(await s.text('[data-sync-status]'), '已是最新');
    await s.click('[data-sync-status]');
    await s.waitFor('[data-sync-page-state="up_to_date"]');
    await s.screenshot('11-sync-up-to-date-zh.png');
    const count = await (await fetch(`http://127.0.0.1:${port}/Patient?_summary=count`)).json();
    assert.equal(count.total, 300, 'every demo resident reached the platform');
  } catch (e) {
    await s.screenshot('failure-sync.png').catch(() => {});
    throw e;
  } finally {
    await s.close();
    peer?.kill('SIGTERM');
  }
});

/** Runs the CLI on `dir` as `user` (password "correct horse"); its output. */
function village(dir, user, args, input) {
  return execFileSync(cli, ['--data-dir', dir, ...args], {
    input,
    env: { ...process.env, VHR_USER: user, VHR_PASSWORD: 'correct horse', VHR_LANG: 'zh-CN', VHR_DATA_DIR: '' },
  }).toString();
}

test('a record moved away through the platform waits at the institution it moved to, and is taken in there', async () => {
  const port = await freePort();
  const peer = await startPeer(port);
  const url = `http://127.0.0.1:${port}`;
  const [from, to] = [mkdtempSync(join(tmpdir(), 'vhr-e2e-from-')), mkdtempSync(join(tmpdir(), 'vhr-e2e-to-'))];
  let s;
  try {
    // The clinic it leaves: registered, synced, closed as moved away to 河湾镇柳树村卫生室, synced.
    village(from, 'li', ['init', '--institution', '青山镇石桥村卫生室', '--county', '450102', '--township', '101', '--township-name', '青山镇',
      '--village', '101=石桥村', '--username', 'li', '--display-name', '李春华']);
    const resident = {
      name: '孙桂兰', id_document: { kind: 'citizen_id', number: '450102195005050213' }, residence_type: '1', village_code: '101',
      basic_info: {
        work_unit: '务农', ethnicity: '01', blood_abo: '3', blood_rh: '2', education: '7', occupation: '4', marital: '2', payment: ['3'],
        drug_allergy: ['1'], exposure: ['1'], past_diseases: [{ code: '2', date: '2015-03' }], surgery: '1', trauma: '1', transfusion: '1',
        family_father: ['1'], family_mother: ['1'], family_siblings: ['1'], family_children: ['1'], genetic: '1', disability: ['1'],
        kitchen_exhaust: '4', fuel: '5', water: '1', toilet: '1', livestock: '2',
      },
    };
    village(from, 'li', ['resident', 'add', '--json', '-'], JSON.stringify(resident));
    village(from, 'li', ['sync', '--url', url]);
    village(from, 'li', ['close', '45010210110100001', '--reason', 'moved-away', '--destination', '河湾镇柳树村卫生室',
      '--destination-address', '河湾镇柳树村5组', '--on', new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10)]);
    village(from, 'li', ['sync']);
    // The institution it moves to: another township's clinic on the same platform.
    village(to, 'zhao', ['init', '--institution', '河湾镇柳树村卫生室', '--county', '450102', '--township', '102', '--township-name', '河湾镇',
      '--village', '201=柳树村', '--username', 'zhao', '--display-name', '赵建国']);
    village(to, 'zhao', ['sync', '--url', url]);

    s = await Session.open(driver.base, app, ['--data-dir', to]);
    await s.waitFor('input[name="username"]:focus');
    await s.type('input[name="username"]', 'zhao');
    await s.type('input[name="password"]', 'correct horse');
    await s.click('button[type="submit"]');
    await s.waitFor('button[name="new-record"]', 30000);
    await s.click('button[data-nav="settings"]');
    await s.waitFor('[data-waiting="45010210110100001"]');
    await s.exec('document.querySelector("[data-platform-transfers]").scrollIntoView()');
    await s.select('select[name="platform-village"]', '201');
    await s.screenshot('24-platform-transfer-waiting-zh.png');
    await s.click('button[name="platform-take"]');
    const taken = await s.waitForText('[data-transfer-taken]', '孙桂兰');
    assert.match(taken, /450102 101 101 00001/, 'taken in with the number it was given where it was created');
    await s.screenshot('25-platform-transfer-taken-zh.png');
  } catch (e) {
    await s?.screenshot('failure-platform-transfer.png').catch(() => {});
    throw e;
  } finally {
    await s?.close();
    peer.kill('SIGKILL');
  }
});
