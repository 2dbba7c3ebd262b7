// Runs the built UI (ui/dist) in headless Chromium with the Tauri IPC replaced
// by canned answers, so UI behaviour is tested fast and without the Rust side.
// The real window is tested in tests/e2e.
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { readFileSync, existsSync, mkdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dist = join(root, 'ui/dist');
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png' };

let cachedRegistry;
/** The form definitions exactly as the Rust side sends them to the UI. */
export function registry() {
  const cli = process.env.VHR_CLI_BINARY ?? join(root, 'target/debug/village-health');
  if (!existsSync(cli)) throw new Error(`build the CLI first (cargo build -p vhr-cli): ${cli}`);
  cachedRegistry ??= JSON.parse(execFileSync(cli, ['--data-dir', join(root, 'target/ui-test-empty'), 'form', 'registry'], { encoding: 'utf8' }));
  return cachedRegistry;
}

export function serve() {
  if (!existsSync(join(dist, 'index.html'))) throw new Error('build the UI first: npm --prefix ui run build');
  const server = createServer((req, res) => {
    const path = join(dist, decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/^\/$/, '/index.html'));
    if (!path.startsWith(dist) || !existsSync(path)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' }).end(readFileSync(path));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() })));
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Opens the UI with `answers`: command name → value, or { error: WireError }.
 * Every call is recorded in window.__calls as [command, args].
 */
export async function open(browser, url, answers) {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  await page.addInitScript((answers) => {
    window.__calls = [];
    window.__answers = answers;
    let callbackId = 0;
    const callbacks = {};
    const listeners = [];
    /** Delivers an event from "the Rust side" to the UI's listeners. */
    window.__emit = (event, payload) => {
      for (const l of listeners.filter((l) => l.event === event)) callbacks[l.handler]?.({ event, id: 0, payload });
    };
    window.__TAURI_INTERNALS__ = {
      transformCallback: (cb) => {
        callbackId += 1;
        callbacks[callbackId] = cb;
        return callbackId;
      },
      invoke: async (cmd, args) => {
        window.__calls.push([cmd, args]);
        if (cmd === 'plugin:event|listen') {
          listeners.push({ event: args.event, handler: args.handler });
          return args.handler;
        }
        if (cmd.startsWith('plugin:event|')) return callbackId;
        // Drafts, unless a test answers them itself: kept as the Rust side
        // keeps them, per key, across a reload of the window.
        if (['get_draft', 'keep_draft', 'forget_draft'].includes(cmd) && !(cmd in window.__answers)) {
          const drafts = JSON.parse(sessionStorage.getItem('__mock_drafts') ?? '{}');
          if (cmd === 'get_draft') return structuredClone(drafts[args.key] ?? null);
          if (cmd === 'keep_draft') drafts[args.key] = args.value;
          else delete drafts[args.key];
          sessionStorage.setItem('__mock_drafts', JSON.stringify(drafts));
          return null;
        }
        let answer = window.__answers[cmd];
        // An answer that depends on one argument: { byArg: 'query.view', cases: { today: …, … } }.
        if (answer && typeof answer === 'object' && 'byArg' in answer) {
          const key = answer.byArg.split('.').reduce((v, k) => v?.[k], args);
          answer = answer.cases[key];
        }
        if (answer === undefined) throw { code: 'not_mocked', message: `no answer for ${cmd}` };
        if (answer && typeof answer === 'object' && 'error' in answer) throw answer.error;
        return structuredClone(answer);
      },
    };
    window.__TAURI_EVENT_PLUGIN_INTERNALS__ = { unregisterListener: () => {} };
  }, answers);
  await page.goto(url);
  return page;
}

export async function shot(page, name) {
  const dir = join(root, 'tests/ui/artifacts');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, name) });
}

export const emit = (page, event, payload) => page.evaluate(([e, p]) => window.__emit(e, p), [event, payload]);

export const calls = (page, cmd) => page.evaluate((cmd) => window.__calls.filter((c) => c[0] === cmd).map((c) => c[1]), cmd);
