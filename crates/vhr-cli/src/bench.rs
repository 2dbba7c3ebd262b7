//! `village-health bench`: search, open and save timings on a demo clinic.
//!
//! Results belong in `docs/benchmarks.md`; speed targets are checked here,
//! by a person reading numbers, and never in a timed test.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::Datelike;

use clap::Args;
use vhr_app::{Clinic, Env, Error, FixedClock, RandomIds, SearchRequest, SetupRequest, UpdateRequest, WorkQuery};
use vhr_domain::clinic::{ClinicProfile, SerialBlock, Village};
use vhr_domain::demo::{self, Rng};
use vhr_domain::programs::WorkView;
use vhr_domain::search::pinyin_keys;

#[derive(Args)]
pub struct BenchArgs {
    /// How many demo residents to load.
    #[arg(long, default_value_t = 100_000)]
    residents: usize,
    /// Years of service history per resident (8 gives about a million records for 100,000 residents).
    #[arg(long, default_value_t = 1)]
    years: u32,
    /// How many timed operations of each kind.
    #[arg(long, default_value_t = 500)]
    samples: usize,
    /// Time only the work list (for profiling it on a kept clinic).
    #[arg(long)]
    worklist_only: bool,
    /// Time only keeping the records for life: backup, restore and the
    /// handover round trip (on a kept clinic; the backups and archive are
    /// written beside it, then removed).
    #[arg(long)]
    lifecycle: bool,
    /// Reuse (or keep) the benchmark clinic in this folder instead of a temporary one.
    #[arg(long)]
    keep: Option<PathBuf>,
    /// The day the benchmark runs on (the clinic's clock, 10:00 in China):
    /// the demo histories end on it and the work list is computed for it and
    /// the first day of each of the twelve months after. A fixed day, so the
    /// figures do not change with the calendar.
    #[arg(long, default_value = "2026-11-21")]
    date: chrono::NaiveDate,
}

const SEED: u64 = 20261121;
pub(crate) const PASSWORD: &str = "benchmark-password";

/// The benchmark clinic: one township, twelve villages.
pub(crate) fn profile() -> ClinicProfile {
    ClinicProfile {
        institution_name: "基准测试卫生院".into(),
        institution_phone: String::new(),
        county_code: "450102".into(),
        division_code_year: 2024,
        township_code: "101".into(),
        township_name: "青山镇".into(),
        villages: (1..=12).map(|i| Village { code: format!("{}", 100 + i), name: format!("第{i}村") }).collect(),
        serial_block: SerialBlock { start: 1, end: 99_999 },
    }
}

/// The folder to benchmark in: the one kept, or a temporary one (removed
/// when the returned guard drops).
pub(crate) fn data_dir(keep: Option<&PathBuf>) -> Result<(Option<tempfile::TempDir>, PathBuf), Error> {
    match keep {
        Some(d) => Ok((None, d.clone())),
        None => {
            let tmp = tempfile::tempdir().map_err(|e| Error::Storage(e.to_string()))?;
            let path = tmp.path().to_path_buf();
            Ok((Some(tmp), path))
        }
    }
}

#[derive(Clone)]
struct Stats(Vec<Duration>);

impl Stats {
    /// The `p` quantile (nearest rank) of the timings.
    fn quantile(&self, p: f64) -> Duration {
        let mut sorted = self.0.clone();
        sorted.sort();
        sorted[((sorted.len() as f64 * p).ceil() as usize).saturating_sub(1).min(sorted.len() - 1)]
    }

    fn row(self, what: &str) -> String {
        let ms = |d: Duration| format!("{:.2}", d.as_secs_f64() * 1000.0);
        let max = self.0.iter().max().copied().unwrap_or_default();
        format!("| {what} | {} | {} | {} | {} |", self.0.len(), ms(self.quantile(0.5)), ms(self.quantile(0.95)), ms(max))
    }
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed())
}

/// The first screen (100 lines) of a view of the catchment's work list on a day, with every view's count.
fn screen(clinic: &Clinic, day: chrono::NaiveDate, view: WorkView) -> Result<vhr_app::WorkPage, Error> {
    clinic.worklist_page(&WorkQuery { date: Some(day.to_string()), village: None, view, offset: 0, limit: None })
}

/// The first request of a day (the window opening the list): the day's
/// lines read anew each time, by asking for another day in between.
fn cold_screens(clinic: &Clinic, day: chrono::NaiveDate, runs: usize) -> Result<Stats, Error> {
    let mut timings = Vec::new();
    for _ in 0..runs {
        screen(clinic, day - chrono::Duration::days(1), WorkView::Today)?;
        let (page, d) = time(|| screen(clinic, day, WorkView::Today));
        page?;
        timings.push(d);
    }
    Ok(Stats(timings))
}

/// The first screen of every view of the catchment's work list on `day`
/// once the day's lines are kept, `runs` times each: the slowest view, how
/// many lines it holds, and its timings.
fn first_screens(clinic: &Clinic, day: chrono::NaiveDate, runs: usize) -> Result<(WorkView, u32, Stats), Error> {
    let mut slowest: Option<(WorkView, u32, Stats)> = None;
    screen(clinic, day, WorkView::Today)?;
    for view in WorkView::ALL {
        let mut timings = Vec::new();
        let mut lines = 0;
        for _ in 0..runs {
            let (page, d) = time(|| screen(clinic, day, view));
            lines = page?.counts.of(view);
            timings.push(d);
        }
        let stats = Stats(timings);
        if slowest.as_ref().is_none_or(|s| stats.quantile(0.95) > s.2.quantile(0.95)) {
            slowest = Some((view, lines, stats));
        }
    }
    Ok(slowest.expect("five views"))
}

pub fn run(args: &BenchArgs) -> Result<(), Error> {
    let (_tmp, dir) = data_dir(args.keep.as_ref())?;
    let env = Env { clock: std::sync::Arc::new(FixedClock::china_on(args.date)), ids: std::sync::Arc::new(RandomIds) };
    let mut install = vhr_app::Install::at(&dir, env)?;
    let mut clinic = if !install.is_set_up()? {
        let mut clinic = install.setup(SetupRequest {
            profile: profile(),
            username: "bench".into(),
            display_name: "基准".into(),
            password: PASSWORD.into(),
            phone: String::new(),
        })?;
        let (n, took) = time(|| clinic.load_demo(args.residents, SEED, args.years, &mut |done, total| eprint!("\rloading {done}/{total}")));
        eprintln!();
        eprintln!("loaded {} residents in {:.1} s", n?, took.as_secs_f64());
        clinic
    } else {
        install.sign_in("bench", PASSWORD)?
    };
    if args.lifecycle {
        drop(clinic);
        return crate::bench_lifecycle::run(&dir, args.date);
    }
    if args.worklist_only {
        let today = clinic.today();
        let mut worklist = Vec::new();
        let mut listed = 0;
        for _ in 0..args.samples {
            let (items, d) = time(|| clinic.worklist(today, None));
            listed = items?.len();
            worklist.push(d);
        }
        println!("{}", Stats(worklist).row(&format!("work list for the catchment ({listed} items)")));
        println!("{}", cold_screens(&clinic, today, args.samples)?.row("first screen, the day's first request"));
        let (view, lines, screens) = first_screens(&clinic, today, args.samples)?;
        println!("{}", screens.row(&format!("first screen, slowest view ({view:?}, {lines} lines) with every count")));
        return Ok(());
    }
    // The work list first, before this process holds its own copy of the
    // generated residents (which the app never does): 20 runs.
    let today = clinic.today();
    let mut worklist = Vec::new();
    let mut listed = 0;
    for _ in 0..20 {
        let (items, d) = time(|| clinic.worklist(today, None));
        listed = items?.len();
        worklist.push(d);
    }
    let cold_today = cold_screens(&clinic, today, 20)?;
    let screens_today = first_screens(&clinic, today, 20)?;
    // The same list on the first of each month of the coming year: how long
    // it is, and how long it takes, depends on the day (annual checks fall
    // due in the last months of a year).
    let mut months = Vec::new();
    for m in 1..=12u32 {
        let first = args.date.with_day(1).expect("the first of a month") + chrono::Months::new(m);
        let mut runs = Vec::new();
        let mut n = 0;
        for _ in 0..5 {
            let (items, d) = time(|| clinic.worklist(first, None));
            n = items?.len();
            runs.push(d);
        }
        let cold = cold_screens(&clinic, first, 5)?;
        let screens = first_screens(&clinic, first, 5)?;
        months.push((first, n, Stats(runs), screens, cold));
    }
    let people: Vec<_> = demo::households(&profile(), args.residents, SEED, clinic.today()).into_iter().flat_map(|h| h.members).collect();
    let mut rng = Rng::new(7);
    let picks: Vec<_> = (0..args.samples).map(|_| rng.pick(&people).input.clone()).collect();
    let search = |clinic: &Clinic, q: &str| {
        clinic.search(&SearchRequest { query: q.to_string(), village: None, tag: None, status: Default::default(), limit: Some(50) })
    };

    let mut rows = Vec::new();
    let mut by_initials = Vec::new();
    let mut by_name = Vec::new();
    let mut by_id = Vec::new();
    let mut by_record = Vec::new();
    let mut open = Vec::new();
    let mut save = Vec::new();
    let mut records = Vec::new();
    for p in &picks {
        let initials = pinyin_keys(&p.name).1.into_iter().next().unwrap_or_default();
        let (_, d) = time(|| search(&clinic, &initials));
        by_initials.push(d);
        let (_, d) = time(|| search(&clinic, &p.name));
        by_name.push(d);
        if let Some(id) = p.id_document.citizen_number() {
            let (found, d) = time(|| search(&clinic, id));
            by_id.push(d);
            if let Some(r) = found?.into_iter().next() {
                records.push(r.record_no);
            }
        }
    }
    for no in &records {
        let (_, d) = time(|| search(&clinic, no));
        by_record.push(d);
        let (view, d) = time(|| clinic.resident(no));
        open.push(d);
        let view = view?;
        let mut edit = view.resident.data.clone();
        edit.phone = format!("139{:08}", rng.below(100_000_000));
        let (saved, d) = time(|| {
            clinic.update(UpdateRequest {
                id: view.resident.id.clone(),
                expected_version: view.resident.version,
                resident: edit,
                confirm: true,
            })
        });
        saved?;
        save.push(d);
    }
    // Timelines and follow-ups (forms issue).
    let patients: Vec<_> = clinic.search(&SearchRequest {
        query: String::new(),
        village: None,
        tag: Some(vhr_domain::population::Tag::Hypertension),
        status: Default::default(),
        limit: Some(500),
    })?;
    let mut timeline = Vec::new();
    let mut followup = Vec::new();
    let mut after_save = Vec::new();
    let mut services = 0;
    for p in patients.iter().take(args.samples) {
        let (t, d) = time(|| clinic.timeline(&p.id));
        services += t?.len();
        timeline.push(d);
        let mut values = clinic.prefill(&p.id, "hypertension_followup")?;
        for (k, v) in [
            ("symptoms", serde_json::json!(["1"])),
            ("emergency", serde_json::json!(["1"])),
            ("sbp", serde_json::json!(136)),
            ("dbp", serde_json::json!(84)),
            ("adherence", serde_json::json!("1")),
            ("adverse_reaction", serde_json::json!("1")),
            ("classification", serde_json::json!("1")),
            ("next_step", serde_json::json!("1")),
            ("next_date", serde_json::json!((today + chrono::Duration::days(90)).to_string())),
        ] {
            values.insert(k.into(), v);
        }
        let (saved, d) = time(|| {
            clinic.add_service(vhr_app::AddServiceRequest {
                resident_id: p.id.clone(),
                form_id: "hypertension_followup".into(),
                values,
                confirm: true,
            })
        });
        saved?;
        followup.push(d);
        let (page, d) = time(|| screen(&clinic, today, WorkView::Today));
        page?;
        after_save.push(d);
    }
    // Printing (cards issue): 1,000 information cards in one PDF, five times.
    let mut ids = Vec::new();
    for village in ["101", "102"] {
        let req =
            SearchRequest { query: String::new(), village: Some(village.into()), tag: None, status: Default::default(), limit: Some(500) };
        ids.extend(clinic.search(&req)?.into_iter().map(|r| r.id));
    }
    let mut cards = Vec::new();
    let mut pdf_size = 0;
    for _ in 0..5 {
        let (printed, d) = time(|| clinic.print_cards(&vhr_app::CardsRequest::Residents { ids: ids.clone() }, &mut |_, _| true));
        let printed = printed?;
        pdf_size = printed.pdf.len();
        cards.push((d, printed.count));
    }
    let card_count = cards.first().map(|c| c.1).unwrap_or(0);
    let card_times = Stats(cards.into_iter().map(|c| c.0).collect());
    rows.push(Stats(by_initials).row("search: pinyin initials (e.g. zs)"));
    rows.push(Stats(by_name).row("search: Chinese name"));
    rows.push(Stats(by_id).row("search: ID number"));
    rows.push(Stats(by_record).row("search: record number"));
    rows.push(Stats(open).row("open a resident"));
    rows.push(Stats(save).row("save an edit (fsync, history, outbox)"));
    rows.push(Stats(worklist).row(&format!("work list for the catchment on {} ({listed} items)", args.date)));
    let p95 = |s: &Stats| s.quantile(0.95);
    if let Some(worst) = months.iter().max_by_key(|m| p95(&m.2)) {
        rows.push(worst.2.clone().row(&format!("work list, worst month of the year after ({}, {} items)", worst.0, worst.1)));
    }
    rows.push(cold_today.row(&format!("work list, first screen on {}: the day's first request, with every count", args.date)));
    if let Some((day, n, _, _, cold)) = months.iter().max_by_key(|m| p95(&m.4)) {
        rows.push(cold.clone().row(&format!("work list, first screen: the day's first request, worst month ({day}, {n} lines)")));
    }
    let (view, lines, screens) = screens_today;
    rows.push(
        screens.row(&format!("work list, first screen of the slowest view on {} ({view:?}, {lines} lines), day's lines kept", args.date)),
    );
    if let Some((day, _, _, (view, lines, screens), _)) = months.iter().max_by_key(|m| p95(&m.3 .2)) {
        rows.push(
            screens.clone().row(&format!(
                "work list, first screen of the slowest view, day's lines kept, worst month ({day}, {view:?}, {lines} lines)"
            )),
        );
    }
    rows.push(Stats(after_save).row("work list, first screen of today after saving a follow-up"));
    let per_timeline = services as f64 / timeline.len().max(1) as f64;
    rows.push(Stats(timeline).row(&format!("open a timeline ({per_timeline:.1} records each)")));
    rows.push(Stats(followup).row("save a follow-up (validate, propose, fsync)"));
    rows.push(card_times.row(&format!("print {card_count} information cards to one PDF ({:.0} KB)", pdf_size as f64 / 1024.0)));
    println!(
        "{} residents and {} service records on file, {} samples each\n",
        clinic.counts()?.residents,
        clinic.counts()?.services,
        args.samples
    );
    println!("| operation | n | p50 ms | p95 ms | max ms |");
    println!("|---|---|---|---|---|");
    for r in rows {
        println!("{r}");
    }
    println!("\nThe catchment's work list on the first of each month:\n");
    println!("| day | lines | n | whole list p50 ms | p95 ms | max ms | first screen, first request p95 ms | slowest view, lines kept | p95 ms |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let ms = |s: &Stats| s.quantile(0.95).as_secs_f64() * 1000.0;
    for (day, n, stats, (view, lines, screens), cold) in months {
        println!("{} {:.2} | {view:?} ({lines} lines) | {:.2} |", stats.row(&format!("{day} | {n}")), ms(&cold), ms(&screens));
    }
    audit(&mut clinic, &records)?;
    drop(clinic);
    cold_open(&dir, args)?;
    Ok(())
}

/// The audit trail at this size: checking it whole, a checkpoint after it,
/// and what 1,000 openings of a record add to the database.
fn audit(clinic: &mut Clinic, records: &[String]) -> Result<(), Error> {
    let secs = |d: Duration| d.as_secs_f64();
    let (check, verify) = time(|| clinic.audit_verify(&[], None));
    let check = check?;
    let (first, first_took) = time(|| clinic.write_checkpoint("manual"));
    let before = clinic.database_bytes()?;
    let mut opened = 0;
    while opened < 1_000 && !records.is_empty() {
        clinic.resident(&records[opened % records.len()])?;
        opened += 1;
    }
    let grew = clinic.database_bytes()?.saturating_sub(before);
    let (next, next_took) = time(|| clinic.write_checkpoint("manual"));
    println!("\nThe audit trail:\n");
    println!("| what | value |");
    println!("|---|---|");
    println!("| entries on file | {} |", check.entries);
    println!(
        "| audit verify, the whole trail (s) | {:.2} ({:.2} µs an entry) |",
        secs(verify),
        secs(verify) * 1e6 / check.entries.max(1) as f64
    );
    println!(
        "| a checkpoint over the whole trail, its first (ms) | {:.1} (size {}) |",
        secs(first_took) * 1e3,
        first?.map_or(0, |c| c.size)
    );
    println!(
        "| the next checkpoint, {opened} entries later, from the frontier (ms) | {:.2} (size {}) |",
        secs(next_took) * 1e3,
        next?.map_or(0, |c| c.size)
    );
    println!("| the database's growth for {opened} record openings (KiB) | {:.1} |", grew as f64 / 1024.0);
    Ok(())
}

/// Opening the clinic anew: signing in (argon2id, unsealing the key,
/// opening the encrypted file) and the first search, after asking the
/// system to drop its file cache (which only root may; the table says
/// whether it did).
fn cold_open(dir: &std::path::Path, args: &BenchArgs) -> Result<(), Error> {
    let dropped = std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok();
    let env = Env { clock: std::sync::Arc::new(FixedClock::china_on(args.date)), ids: std::sync::Arc::new(RandomIds) };
    let (clinic, sign_in) = time(|| vhr_app::Install::at(dir, env).and_then(|mut i| i.sign_in("bench", PASSWORD)));
    let clinic = clinic?;
    let (_, search) = time(|| {
        clinic.search(&SearchRequest { query: "zs".into(), village: None, tag: None, status: Default::default(), limit: Some(50) })
    });
    let (_, today) = time(|| screen(&clinic, clinic.today(), WorkView::Today));
    println!("\nCold open (the system's file cache dropped: {}):\n", if dropped { "yes" } else { "no" });
    println!("| step | ms |");
    println!("|---|---|");
    println!("| sign in: argon2id, unseal the key, open and check the schema | {:.1} |", sign_in.as_secs_f64() * 1e3);
    println!("| the first search (zs) | {:.1} |", search.as_secs_f64() * 1e3);
    println!("| the first screen of today's work list | {:.1} |", today.as_secs_f64() * 1e3);
    Ok(())
}
