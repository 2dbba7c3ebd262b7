// End to end in the real window: changes made while the platform is away wait
// (the indicator says so), and when the platform comes up the background sync
// sends them and the indicator reaches "up to date". The platform is the real
// FHIR peer (Helios hfs, built by scripts/setup-fhir-peer.sh) on loopback.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, copyFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir, homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDriver, Session } from './webdriver.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const app = process.env.VHR_APP_BINARY ?? join(root, 'target/debug/village-health-desktop');
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
