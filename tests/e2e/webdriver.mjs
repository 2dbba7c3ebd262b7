// A small WebDriver client for driving the real desktop window through
// tauri-driver and WebKitWebDriver. It speaks the W3C protocol with fetch and
// knows just what the end-to-end tests need.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

/**
 * Starts tauri-driver on a port and waits until it answers. It runs in a
 * process group of its own, and stopping it stops the whole group:
 * WebKitWebDriver and any app window a session left open, which would
 * otherwise outlive the suite and keep the test runner waiting on its pipes.
 */
export async function startDriver(port) {
  const proc = spawn('tauri-driver', ['--port', String(port), '--native-port', String(port + 1)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const stopAll = (signal) => {
    try {
      process.kill(-proc.pid, signal);
    } catch {
      /* already gone */
    }
  };
  let log = '';
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`${base}/status`);
      if (r.ok) return { base, stop: () => stopAll('SIGTERM'), log: () => log };
    } catch {
      /* not up yet */
    }
    await sleep(100);
  }
  stopAll('SIGKILL');
  throw new Error(`tauri-driver did not start on ${port}:\n${log}`);
}

export class Session {
  static async open(base, application, args) {
    const caps = { capabilities: { alwaysMatch: { 'tauri:options': { application, args } } } };
    const r = await fetch(`${base}/session`, { method: 'POST', body: JSON.stringify(caps), headers: { 'content-type': 'application/json' } });
    const body = await r.json();
    if (!r.ok) throw new Error(`cannot open a session: ${JSON.stringify(body)}`);
    const s = new Session(base, body.value.sessionId);
    await s.waitFor('#app > *', 20000);
    return s;
  }

  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  async cmd(method, path, body) {
    const r = await fetch(`${this.base}/session/${this.id}${path}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    const json = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json.value ?? json)}`);
    return json.value;
  }

  async close() {
    await fetch(`${this.base}/session/${this.id}`, { method: 'DELETE' }).catch(() => {});
  }

  async find(css) {
    const v = await this.cmd('POST', '/element', { using: 'css selector', value: css });
    return v[ELEMENT];
  }

  async findAll(css) {
    const v = await this.cmd('POST', '/elements', { using: 'css selector', value: css });
    return v.map((e) => e[ELEMENT]);
  }

  /** Waits until `css` matches an element, or fails with what the page shows. */
  async waitFor(css, timeout = 10000) {
    const until = Date.now() + timeout;
    let last;
    while (Date.now() < until) {
      try {
        const els = await this.findAll(css);
        if (els.length > 0) return els[0];
      } catch (e) {
        last = e;
      }
      await sleep(100);
    }
    const text = await this.text('body').catch(() => String(last));
    throw new Error(`nothing matched ${css} within ${timeout} ms; the page shows:\n${text}`);
  }

  /** Waits until the element's text contains `expected`. */
  async waitForText(css, expected, timeout = 10000) {
    const until = Date.now() + timeout;
    let seen = '';
    while (Date.now() < until) {
      seen = await this.text(css).catch(() => '');
      if (seen.includes(expected)) return seen;
      await sleep(100);
    }
    throw new Error(`${css} never showed ${JSON.stringify(expected)}; it shows:\n${seen}`);
  }

  /** Waits until a form control holds `expected`; returns what it holds last. */
  async waitForValue(css, expected, timeout = 10000) {
    const until = Date.now() + timeout;
    let value;
    while (Date.now() < until) {
      value = await this.exec('return document.querySelector(arguments[0])?.value ?? null', [css]);
      if (value === expected) return value;
      await sleep(100);
    }
    return value;
  }

  /**
   * Clicks an element as a doctor would: brought to the middle of its scrolling
   * area first, since WebKitWebDriver counts an element under the form's
   * sticky save bar as in view and then reports the click intercepted.
   */
  async click(css) {
    const el = await this.waitFor(css);
    await this.exec("document.querySelector(arguments[0])?.scrollIntoView({ block: 'center' })", [css]);
    await this.cmd('POST', `/element/${el}/click`, {});
  }

  /**
   * Types `text` into a field, replacing what it held. WebKitWebDriver under
   * Xvfb now and then drops keystrokes sent right after a window maps (a CI run
   * signed in with a truncated name); a field left shorter than what was typed
   * is typed again, and a second miss fails with what the field holds. A field
   * the app rewrites (an ID number's x made X) is left as the app made it.
   */
  async type(css, text) {
    let held = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const el = await this.waitFor(css);
      await this.cmd('POST', `/element/${el}/clear`, {});
      await this.cmd('POST', `/element/${el}/value`, { text });
      held = (await this.exec('return document.querySelector(arguments[0])?.value ?? null', [css])) ?? text;
      if (held.length >= text.length) return;
      await sleep(200);
    }
    throw new Error(`typing ${JSON.stringify(text)} into ${css} left ${JSON.stringify(held)}`);
  }

  /** Presses keys in the element, e.g. the Enter key '\uE007' or Tab '\uE004'. */
  async keys(css, text) {
    const el = await this.waitFor(css);
    await this.cmd('POST', `/element/${el}/value`, { text });
  }

  async text(css) {
    const el = await this.find(css);
    return this.cmd('GET', `/element/${el}/text`);
  }

  async exec(script, args = []) {
    return this.cmd('POST', '/execute/sync', { script, args });
  }

  /** Chooses an option of a <select> the way a user does, firing change. */
  async select(css, value) {
    await this.waitFor(css);
    await this.exec(
      `const el = document.querySelector(arguments[0]); el.value = arguments[1]; el.dispatchEvent(new Event('change', { bubbles: true }));`,
      [css, value],
    );
  }

  async screenshot(file) {
    await sleep(400); // let the last change paint
    const png = await this.cmd('GET', '/screenshot');
    mkdirSync(new URL('./artifacts/', import.meta.url), { recursive: true });
    writeFileSync(new URL(`./artifacts/${file}`, import.meta.url), Buffer.from(png, 'base64'));
  }
}
