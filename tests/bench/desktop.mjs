// The desktop app's own figures on a big clinic (docs/benchmarks.md): how
// long from starting the release build to an interactive sign-in window, and
// how much memory the app holds (its process and WebKit's) after opening a
// resident, the work list and the longest form.
//
//   node tests/bench/desktop.mjs --app target/release/village-health-desktop \
//        --data-dir DIR --user bench --password benchmark-password [--runs 5] [--drop-caches]
//
// Run under Xvfb (xvfb-run -a -s "-screen 0 1366x768x24"). It prints a
// Markdown table; it asserts nothing and is not part of the test command.
import { readFileSync, readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { execSync } from 'node:child_process';
import { startDriver, Session } from '../e2e/webdriver.mjs';

const { values: opt } = parseArgs({
  options: {
    app: { type: 'string' }, 'data-dir': { type: 'string' }, user: { type: 'string', default: 'bench' },
    password: { type: 'string', default: 'benchmark-password' }, runs: { type: 'string', default: '5' },
    // Empties the system's file cache before each start (root only), as after the laptop boots.
    'drop-caches': { type: 'boolean', default: false },
  },
});

/** Every process whose command line names `name`, and all their descendants. */
function tree(name) {
  const procs = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
      return { pid, ppid, cmd: readFileSync(`/proc/${pid}/cmdline`, 'utf8') };
    } catch {
      return null;
    }
  }).filter(Boolean);
  const roots = procs.filter((p) => p.cmd.includes(name) && !p.cmd.includes('tauri-driver') && !p.cmd.includes('node'));
  const all = new Set(roots.map((p) => p.pid));
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of procs) if (all.has(p.ppid) && !all.has(p.pid)) { all.add(p.pid); grew = true; }
  }
  return [...all].map((pid) => ({ pid, cmd: procs.find((p) => p.pid === pid).cmd.split('\0')[0] }));
}

/**
 * Proportional set size in MiB (shared pages split among the processes
 * sharing them): in all, and the part that is the process's own memory
 * (anonymous) rather than files mapped in (the program, its libraries, and
 * the database pages SQLite reads through mmap, which the system can drop).
 */
function pss(pid) {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) / 1024;
  return { all: kb('Pss'), anon: kb('Pss_Anon') + kb('Pss_Shmem') };
}

function memory(label) {
  const procs = tree('village-health-desktop');
  const each = procs.map((p) => ({ ...p, ...pss(p.pid) }));
  const sum = (k) => each.reduce((s, p) => s + p[k], 0).toFixed(0);
  const parts = each.map((p) => `${p.cmd.split('/').pop()} ${p.anon.toFixed(0)} / ${p.all.toFixed(0)}`).join(', ');
  return `| ${label} | ${sum('anon')} | ${sum('all')} | ${parts} |`;
}

const ms = (t) => `${t.toFixed(0)}`;
const driver = await startDriver(4700 + Math.floor(Math.random() * 200) * 2);
const starts = [];
const rows = [];
try {
  for (let run = 0; run < Number(opt.runs); run++) {
    if (opt['drop-caches']) execSync('sync; echo 3 > /proc/sys/vm/drop_caches');
    const t0 = performance.now();
    const s = await Session.open(driver.base, opt.app, ['--data-dir', opt['data-dir']]);
    await s.waitFor('input[name="username"]', 30000);
    starts.push(performance.now() - t0);
    if (run === Number(opt.runs) - 1) {
      rows.push(memory('the sign-in window'));
      await s.type('input[name="username"]', opt.user);
      await s.type('input[name="password"]', opt.password);
      const signIn = performance.now();
      await s.keys('input[name="password"]', '\uE007');
      await s.waitFor('button[data-nav="followups"]', 120000);
      const signedIn = performance.now() - signIn;
      await s.click('button[data-nav="workbench"]');
      const bench = performance.now();
      await s.waitFor('strong[data-total]', 120000);
      while ((await s.text('strong[data-total]')) === '…') await new Promise((r) => setTimeout(r, 50));
      const numbers = performance.now() - bench;
      rows.push(memory('signed in (the workbench)'));
      await s.click('button[data-nav="followups"]');
      const list = performance.now();
      await s.waitFor('[data-worklist] tbody tr', 120000);
      const listShown = performance.now() - list;
      rows.push(memory("the work list (today's first screen)"));
      await s.click('button[name="open-resident"]');
      await s.waitFor('[data-resident-name]', 30000);
      rows.push(memory('a resident opened'));
      await s.click('button[data-nav="followups"]');
      await s.click('button[data-view="annual"]');
      await s.waitFor('tr[data-program="elderly"] button[name="start"]', 30000);
      await s.click('tr[data-program="elderly"] button[name="start"]');
      await s.waitFor('[data-section-index]', 30000);
      rows.push(memory('the health examination form (the longest) open'));
      console.log(`signing in (argon2, the day's work list read ahead): ${ms(signedIn)} ms; the workbench's numbers ${ms(numbers)} ms after the click; the work list's first screen after the click: ${ms(listShown)} ms`);
    }
    await s.close();
  }
} finally {
  driver.stop();
}
const sorted = [...starts].sort((a, b) => a - b);
console.log(`\nstart to an interactive sign-in window, ${starts.length} runs: p50 ${ms(sorted[Math.floor(sorted.length / 2)])} ms, max ${ms(sorted.at(-1))} ms (each: ${starts.map(ms).join(', ')})\n`);
console.log('| after | own memory, MiB | with mapped files, MiB | per process (own / all) |\n|---|---|---|---|');
for (const r of rows) console.log(r);
