//! `village-health bench-sync`: the first push of a demo clinic to a FHIR
//! server, next to posting the same bundles straight to a second server, and
//! incremental passes of 100 changes (see docs/benchmarks.md).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use vhr_app::{Env, Error, SearchRequest, SetupRequest, UpdateRequest};

#[derive(clap::Args)]
pub struct SyncBenchArgs {
    /// The FHIR server the app pushes to (empty, fresh).
    #[arg(long)]
    url: String,
    /// A second empty server that receives the same bundles straight.
    #[arg(long)]
    baseline_url: String,
    #[arg(long, default_value_t = 10_000)]
    residents: usize,
    /// Incremental passes of 100 changes to time.
    #[arg(long, default_value_t = 5)]
    samples: usize,
    #[arg(long)]
    keep: Option<PathBuf>,
}

fn secs(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64())
}

pub fn run(args: &SyncBenchArgs) -> Result<(), Error> {
    let (_tmp, dir) = crate::bench::data_dir(args.keep.as_ref())?;
    let mut c = vhr_app::Install::at(&dir, Env::system())?.setup(SetupRequest {
        profile: crate::bench::profile(),
        username: "bench".into(),
        display_name: "基准".into(),
        password: "benchmark-password".into(),
        phone: String::new(),
    })?;
    c.load_demo(args.residents, 20261121, 1, &mut |done, total| eprint!("\rloading {done}/{total}"))?;
    eprintln!();
    let mut settings = c.sync_settings()?;
    settings.platform.base_url = args.url.clone();
    c.set_sync_settings(&settings)?;

    // The same bundles, straight to the baseline server.
    let bundles = c.pending_bundles()?;
    let resources: usize = bundles.iter().map(|b| b["entry"].as_array().map_or(0, Vec::len)).sum();
    let changes = c.sync_status()?.waiting;
    let base_cfg = vhr_sync::PlatformConfig { base_url: args.baseline_url.clone(), timeout_seconds: 120, ..Default::default() };
    let mut straight = vhr_sync::FhirServer::new(&base_cfg, vhr_sync::Credentials::None).map_err(|e| Error::Sync(e.to_string()))?;
    let t = Instant::now();
    for b in &bundles {
        let r = straight.bundle(b).map_err(|e| Error::Sync(e.to_string()))?;
        if !r.ok() {
            return Err(Error::Sync(format!("the baseline server refused a bundle: {}", r.reasons())));
        }
    }
    let baseline = t.elapsed();

    let t = Instant::now();
    let first = c.sync_once(&mut |p| eprint!("\r{} {}/{}   ", p.phase, p.done, p.total))?;
    let push = t.elapsed();
    eprintln!();
    if first.pushed as i64 != changes || first.counts.waiting != 0 {
        return Err(Error::Sync(format!("the first push did not send everything: {first:?}")));
    }
    let t = Instant::now();
    let catch_up = c.sync_once(&mut |_| {})?;
    let catch_up_time = t.elapsed();

    // Incremental passes: 100 residents get a new phone number each time.
    let people = c.search(&SearchRequest {
        query: String::new(),
        village: None,
        tag: None,
        status: Default::default(),
        limit: Some(args.samples as u32 * 100),
    })?;
    let mut incremental = Vec::new();
    for (round, chunk) in people.chunks(100).take(args.samples).enumerate() {
        for (i, p) in chunk.iter().enumerate() {
            let r = c.resident(&p.id)?.resident;
            let mut data = r.data.clone();
            data.phone = format!("137{:04}{:04}", round, i);
            c.update(UpdateRequest { id: r.id.clone(), expected_version: r.version, resident: data, confirm: true })?;
        }
        let t = Instant::now();
        let r = c.sync_once(&mut |_| {})?;
        incremental.push(t.elapsed());
        if r.pushed != chunk.len() || r.counts.waiting != 0 {
            return Err(Error::Sync(format!("an incremental pass did not send its 100 changes: {r:?}")));
        }
    }
    incremental.sort();
    let rate = |d: Duration| resources as f64 / d.as_secs_f64();
    println!("| what | value |");
    println!("|---|---|");
    println!("| residents / changes / resources | {} / {changes} / {resources} |", args.residents);
    println!("| bundles of up to {} changes | {} |", settings.platform.push.max_batch, bundles.len());
    println!("| the same bundles posted straight | {} s, {:.0} resources/s |", secs(baseline), rate(baseline));
    println!("| first push through the app (pull, push, bookkeeping) | {} s, {:.0} resources/s |", secs(push), rate(push));
    println!("| the next pass (reads back its own writes once) | {} s, pulled {} |", secs(catch_up_time), catch_up.pulled);
    println!(
        "| incremental pass of 100 changes ({} runs): median / max | {} s / {} s |",
        incremental.len(),
        secs(incremental[incremental.len() / 2]),
        secs(*incremental.last().unwrap())
    );
    Ok(())
}
