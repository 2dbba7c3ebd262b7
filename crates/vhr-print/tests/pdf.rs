//! The PDFs read back with the tools an inspector would use: `pdfinfo` for
//! the pages, `pdftotext` for the Chinese text, `pdftoppm` for what the paper
//! shows (compared with reviewed reference images), `zbarimg` for the QR code.
//!
//! `UPDATE_REFERENCES=1` rewrites the reference images; look at them before
//! committing.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;
use vhr_domain::card::{CardData, ChronicTicks};
use vhr_domain::forms::{FormRegistry, FormValues};
use vhr_print::{cards_pdf, form_pdf, CardLayout, FormHeader, PrintError};

fn card(i: usize) -> CardData {
    CardData {
        resident_id: format!("r{i}"),
        name: if i == 0 { "欧阳春燕".into() } else { format!("测试居民{i}") },
        sex: "女".into(),
        birth_date: "1958-03-15".into(),
        record_no: format!("450102101101{:05}", i + 1),
        provisional: false,
        abo: Some("1".into()),
        rh: Some("2".into()),
        chronic: ChronicTicks {
            hypertension: true,
            diabetes: i % 2 == 0,
            other: true,
            other_text: "恶性肿瘤".into(),
            ..ChronicTicks::default()
        },
        allergies: "青霉素、磺胺".into(),
        home_address: "广西南宁市青秀区青山镇石桥村三组12号".into(),
        home_phone: "13800138000".into(),
        emergency_contact: "欧阳明".into(),
        emergency_phone: "13907715678".into(),
        institution: "青山镇卫生院石桥村卫生室".into(),
        institution_phone: "0771-5550123".into(),
        doctor: "李春华".into(),
        doctor_phone: "13878712345".into(),
        notes: String::new(),
    }
}

fn tool(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd).args(args).output().unwrap_or_else(|e| panic!("{cmd} runs (scripts/setup-system.sh installs it): {e}"));
    assert!(out.status.success(), "{cmd} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pages(pdf: &Path) -> usize {
    let info = tool("pdfinfo", &[pdf.to_str().unwrap()]);
    info.lines().find_map(|l| l.strip_prefix("Pages:")).unwrap().trim().parse().unwrap()
}

/// Writes a PDF where it can be looked at after the run (target/tmp/print).
fn write(_dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("print");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Renders one page to a greyscale PNG at `dpi`.
fn render(pdf: &Path, page: usize, dpi: u32, out: &Path) -> PathBuf {
    let stem = out.with_extension("");
    let p = page.to_string();
    tool(
        "pdftoppm",
        &["-f", &p, "-l", &p, "-r", &dpi.to_string(), "-gray", "-png", "-singlefile", pdf.to_str().unwrap(), stem.to_str().unwrap()],
    );
    stem.with_extension("png")
}

fn decode(png_path: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png_path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// Renders a rectangle of a page (x, y, w, h in pixels at `dpi`) to its own greyscale PNG.
fn render_area(pdf: &Path, page: usize, dpi: u32, (x, y, w, h): (u32, u32, u32, u32), out: &Path) -> PathBuf {
    let stem = out.with_extension("");
    let p = page.to_string();
    let n = |v: u32| v.to_string();
    let args = ["-f", &p, "-l", &p, "-r", &n(dpi), "-x", &n(x), "-y", &n(y), "-W", &n(w), "-H", &n(h), "-gray", "-png", "-singlefile"];
    let mut all: Vec<&str> = args.to_vec();
    all.extend([pdf.to_str().unwrap(), stem.to_str().unwrap()]);
    tool("pdftoppm", &all);
    stem.with_extension("png")
}

/// The page looks like the reviewed reference: same size, and at most 0.5 %
/// of pixels differ by more than a quarter of the grey range (anti-aliasing
/// and font rasterisation may move single pixels between poppler versions).
fn matches_reference(rendered: &Path, name: &str) {
    let reference = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference").join(name);
    if std::env::var_os("UPDATE_REFERENCES").is_some() {
        std::fs::create_dir_all(reference.parent().unwrap()).unwrap();
        std::fs::copy(rendered, &reference).unwrap();
    }
    let (w1, h1, a) = decode(rendered);
    let (w2, h2, b) = decode(&reference);
    assert_eq!((w1, h1), (w2, h2), "{name}: the page size changed");
    let differing = a.iter().zip(&b).filter(|(x, y)| x.abs_diff(**y) > 64).count();
    let share = differing as f64 / a.len() as f64;
    assert!(share < 0.005, "{name}: {:.2} % of pixels differ from the reviewed reference", share * 100.0);
}

#[test]
fn a_batch_of_cards_prints_fronts_and_backs_with_readable_text_and_qr() {
    let dir = tempfile::tempdir().unwrap();
    let cards: Vec<CardData> = (0..23).map(card).collect();
    let mut seen = Vec::new();
    let bytes = cards_pdf(&cards, CardLayout::default(), &mut |done, total| {
        seen.push((done, total));
        true
    })
    .unwrap();
    assert_eq!(seen.last(), Some(&(23, 23)), "progress reaches every card");
    let pdf = write(dir.path(), "cards.pdf", &bytes);
    assert_eq!(pages(&pdf), 6, "23 cards at 10 a sheet: 3 sheets, fronts and backs");

    let front = tool("pdftotext", &["-f", "1", "-l", "1", pdf.to_str().unwrap(), "-"]);
    assert!(front.contains("欧阳春燕"), "the Chinese name is real text: {front}");
    assert!(front.contains("45010210110100001"), "the record number is real text");
    assert!(front.contains("居民健康档案信息卡") && front.contains("慢性病患病情况"));
    let back = tool("pdftotext", &["-f", "2", "-l", "2", pdf.to_str().unwrap(), "-"]);
    assert!(back.contains("紧急情况联系人") && back.contains("青山镇卫生院石桥村卫生室"), "the back: {back}");

    // Scan each card's code on its own, as the clinic's scanner does.
    for (i, card) in cards.iter().enumerate().take(10) {
        let (x, y) = CardLayout::default().front_origin(i).unwrap();
        let px = |v: f32| (v / 25.4 * 300.0) as u32;
        let crop = render_area(&pdf, 1, 300, (px(x + 62.0), px(y), px(24.0), px(20.0)), &dir.path().join(format!("qr{i}.png")));
        let qr = tool("zbarimg", &["--quiet", "--raw", crop.to_str().unwrap()]);
        assert_eq!(qr.trim(), card.record_no, "card {i}'s QR code holds its record number");
    }

    matches_reference(&render(&pdf, 1, 60, &dir.path().join("front60")), "cards-front.png");
    matches_reference(&render(&pdf, 2, 60, &dir.path().join("back60")), "cards-back.png");
}

#[test]
fn a_card_with_a_provisional_number_says_so_and_its_code_still_scans() {
    let dir = tempfile::tempdir().unwrap();
    let provisional = CardData { record_no: "450102101101L0001".into(), provisional: true, ..card(0) };
    let bytes = cards_pdf(&[card(1), provisional.clone()], CardLayout::default(), &mut |_, _| true).unwrap();
    let pdf = write(dir.path(), "provisional.pdf", &bytes);
    let front = tool("pdftotext", &["-f", "1", "-l", "1", pdf.to_str().unwrap(), "-"]);
    assert_eq!(front.matches("临时档案编号").count(), 1, "only the provisional card is marked: {front}");
    assert_eq!(front.matches("健康档案编号").count(), 1, "the other keeps the form's words");
    assert!(front.contains("450102101101L0001"));
    let (x, y) = CardLayout::default().front_origin(1).unwrap();
    let px = |v: f32| (v / 25.4 * 300.0) as u32;
    let crop = render_area(&pdf, 1, 300, (px(x + 62.0), px(y), px(24.0), px(20.0)), &dir.path().join("qr.png"));
    assert_eq!(
        tool("zbarimg", &["--quiet", "--raw", crop.to_str().unwrap()]).trim(),
        "450102101101L0001",
        "the scanner finds the record by it"
    );
}

#[test]
fn printing_can_be_cancelled_and_refuses_sizes_that_do_not_fit() {
    let cards: Vec<CardData> = (0..30).map(card).collect();
    let cancelled = cards_pdf(&cards, CardLayout::default(), &mut |done, _| done < 5);
    assert!(matches!(cancelled, Err(PrintError::Cancelled)), "stopping after 5 cards returns no PDF");
    let huge = CardLayout { width_mm: 250.0, height_mm: 60.0, gap_mm: 3.0 };
    assert!(matches!(cards_pdf(&cards, huge, &mut |_, _| true), Err(PrintError::CardSize(..))));
    assert!(matches!(cards_pdf(&[], CardLayout::default(), &mut |_, _| true), Err(PrintError::Empty)));
    let a6 = CardLayout { width_mm: 105.0, height_mm: 74.0, gap_mm: 0.0 };
    assert_eq!(a6.grid().unwrap(), (1, 3), "a larger card prints fewer to a sheet");
}

fn registry() -> FormRegistry {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/forms");
    let sets = std::fs::read_to_string(dir.join("code-sets.json")).unwrap();
    let forms: Vec<(String, String)> = ["hypertension_followup", "health_exam"]
        .iter()
        .map(|f| (format!("{f}.json"), std::fs::read_to_string(dir.join(format!("{f}.json"))).unwrap()))
        .collect();
    let refs: Vec<(&str, &str)> = forms.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    FormRegistry::load(&sets, &refs).unwrap()
}

fn header() -> FormHeader {
    FormHeader {
        name: "欧阳春燕".into(),
        record_no: "45010210110100001".into(),
        record_no_short: "101-00001".into(),
        institution: "青山镇卫生院石桥村卫生室".into(),
        printed: "打印：李春华 2026-11-21".into(),
    }
}

#[test]
fn a_follow_up_prints_like_the_paper_form() {
    let dir = tempfile::tempdir().unwrap();
    let reg = registry();
    let values: FormValues = json!({
        "visit_date": "2026-11-21", "method": "1", "symptoms": ["2", "10"], "symptoms_text": "夜间多梦", "emergency": ["1"],
        "sbp": 152, "dbp": 96, "weight": 68.5, "height": 165, "bmi": 25.2, "heart_rate": 78, "adherence": "1", "adverse_reaction": "1",
        "classification": "2", "next_step": "2", "next_date": "2026-12-05", "doctor": "李春华",
        "drugs": [{"name": "硝苯地平缓释片", "times": 2, "dose": "10mg"}]
    })
    .as_object()
    .unwrap()
    .clone();
    let bytes = form_pdf(reg.form("hypertension_followup").unwrap(), &reg, &values, &header()).unwrap();
    let pdf = write(dir.path(), "followup.pdf", &bytes);
    assert_eq!(pages(&pdf), 1, "a follow-up fits one A4 page");
    let text = tool("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]);
    for expected in ["高血压患者随访服务记录表", "欧阳春燕", "101-00001", "152 mmHg", "硝苯地平缓释片", "其他：夜间多梦", "2026-12-05"]
    {
        assert!(text.contains(expected), "{expected:?} is on the page:\n{text}");
    }
    matches_reference(&render(&pdf, 1, 60, &dir.path().join("followup60")), "hypertension-followup.png");
}

#[test]
fn a_follow_up_that_found_the_patient_lost_prints_what_was_asked() {
    let dir = tempfile::tempdir().unwrap();
    let reg = registry();
    let values: FormValues =
        json!({"visit_date": "2026-11-20", "outcome_status": "2", "lost_reason": "外出打工，联系不上", "doctor": "李春华"})
            .as_object()
            .unwrap()
            .clone();
    let bytes = form_pdf(reg.form("hypertension_followup").unwrap(), &reg, &values, &header()).unwrap();
    let pdf = write(dir.path(), "lost.pdf", &bytes);
    let text = tool("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]);
    for expected in ["失访原因", "外出打工，联系不上", "随访医生签名"] {
        assert!(text.contains(expected), "{expected:?} is on the page:\n{text}");
    }
    for absent in ["血压—收缩压", "随访方式", "死亡日期", "下次随访日期"] {
        assert!(!text.contains(absent), "{absent:?} was not asked of a patient not seen, so it is not printed:\n{text}");
    }
}

#[test]
fn a_long_form_continues_on_more_pages() {
    let dir = tempfile::tempdir().unwrap();
    let reg = registry();
    let values: FormValues = json!({"exam_date": "2026-06-01", "doctor": "李春华", "symptoms": ["1"]}).as_object().unwrap().clone();
    let bytes = form_pdf(reg.form("health_exam").unwrap(), &reg, &values, &header()).unwrap();
    let pdf = write(dir.path(), "exam.pdf", &bytes);
    let n = pages(&pdf);
    assert!(n >= 3, "the health examination runs to several pages: {n}");
    let last = tool("pdftotext", &["-f", &n.to_string(), "-l", &n.to_string(), pdf.to_str().unwrap(), "-"]);
    let compact: String = last.split_whitespace().collect();
    assert!(compact.contains("（续）") && compact.contains(&format!("第{n}页/共{n}页")), "continued pages say so:\n{last}");
}
