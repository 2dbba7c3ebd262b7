//! One search box: what a query means and which index keys answer it.
//!
//! Every resident gets namespaced keys (`n:` name, `g:` given name, `p:` full
//! pinyin, `i:` pinyin initials, `id:` citizen ID, `r:` record number, `r8:`
//! its last 8 digits, `t:` phone). A query becomes a few key prefixes; the
//! store answers each with one range scan over an index, so search stays fast
//! at 100,000 residents. Polyphonic surnames (单 shan, 曾 zeng, 解 xie, …) are
//! read as surnames; other characters contribute all their readings.

use pinyin::ToPinyinMulti;

use crate::text::{is_han, normalize_ascii};

/// Surnames of two characters, so the given name can be told apart.
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "诸葛", "上官", "尉迟", "万俟", "单于", "皇甫", "令狐", "东方", "慕容", "司徒", "夏侯", "公孙", "长孙", "宇文", "轩辕",
    "端木", "西门", "呼延",
];

/// How a polyphonic character reads when it is a surname.
const SURNAME_READINGS: &[(&str, &str)] = &[
    ("单", "shan"),
    ("曾", "zeng"),
    ("解", "xie"),
    ("仇", "qiu"),
    ("区", "ou"),
    ("查", "zha"),
    ("朴", "piao"),
    ("任", "ren"),
    ("覃", "qin"),
    ("乐", "yue"),
    ("盖", "ge"),
    ("缪", "miao"),
    ("华", "hua"),
    ("翟", "zhai"),
    ("黑", "he"),
    ("秘", "bi"),
    ("宁", "ning"),
    ("种", "chong"),
    ("员", "yun"),
    ("繁", "po"),
    ("句", "gou"),
    ("沈", "shen"),
    ("召", "shao"),
    ("长", "chang"),
    ("重", "chong"),
    ("折", "she"),
    ("尉迟", "yuchi"),
    ("万俟", "moqi"),
    ("单于", "chanyu"),
    ("长孙", "zhangsun"),
    ("柏", "bai"),
    ("薄", "bo"),
    ("卜", "bu"),
    ("藏", "zang"),
    ("车", "che"),
    ("传", "chuan"),
    ("都", "du"),
    ("干", "gan"),
    ("葛", "ge"),
    ("过", "guo"),
    ("纪", "ji"),
    ("隽", "juan"),
    ("阚", "kan"),
    ("蔺", "lin"),
    ("麻", "ma"),
    ("那", "na"),
    ("能", "nai"),
    ("逄", "pang"),
    ("区", "ou"),
    ("瞿", "qu"),
    ("尚", "shang"),
    ("石", "shi"),
    ("舍", "she"),
    ("眭", "sui"),
    ("洗", "xian"),
    ("冼", "xian"),
    ("燕", "yan"),
    ("尹", "yin"),
    ("于", "yu"),
    ("臧", "zang"),
    ("祭", "zhai"),
    ("中", "zhong"),
    ("卒", "cu"),
    ("莘", "shen"),
];

/// The most combined readings a name contributes; beyond it, characters use their first reading.
const MAX_COMBINATIONS: usize = 16;

fn surname_split(name: &str) -> (&str, &str) {
    if let Some(s) = COMPOUND_SURNAMES.iter().find(|s| name.starts_with(*s)) {
        return name.split_at(s.len());
    }
    match name.char_indices().nth(1) {
        Some((i, _)) => name.split_at(i),
        None => (name, ""),
    }
}

fn readings(c: char) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(multi) = c.to_pinyin_multi() {
        for p in multi {
            let plain = p.plain().to_string();
            if !out.contains(&plain) {
                out.push(plain);
            }
        }
    }
    out
}

/// Full pinyin and initials of a name, for every plausible reading.
pub fn pinyin_keys(name: &str) -> (Vec<String>, Vec<String>) {
    let name: String = name.chars().filter(|c| is_han(*c) || c.is_ascii_alphabetic()).collect();
    let (surname, given) = surname_split(&name);
    // Each part is a list of alternative readings, one part per syllable group.
    let mut parts: Vec<Vec<String>> = Vec::new();
    match SURNAME_READINGS.iter().find(|(s, _)| *s == surname) {
        Some((_, reading)) => parts.push(vec![(*reading).to_string()]),
        None => parts.extend(surname.chars().map(char_parts)),
    }
    parts.extend(given.chars().map(char_parts));
    let mut combos: Vec<(String, String)> = vec![(String::new(), String::new())];
    for alternatives in parts {
        let keep = if combos.len() * alternatives.len() > MAX_COMBINATIONS { 1 } else { alternatives.len() };
        combos = combos
            .iter()
            .flat_map(|(full, initials)| {
                alternatives.iter().take(keep).map(move |r| (format!("{full}{r}"), format!("{initials}{}", &r[..1])))
            })
            .collect();
    }
    let mut full: Vec<String> = combos.iter().map(|(f, _)| f.clone()).collect();
    let mut initials: Vec<String> = combos.into_iter().map(|(_, i)| i).collect();
    full.dedup();
    initials.sort();
    initials.dedup();
    full.retain(|f| !f.is_empty());
    initials.retain(|i| !i.is_empty());
    (full, initials)
}

fn char_parts(c: char) -> Vec<String> {
    if c.is_ascii_alphabetic() {
        return vec![c.to_ascii_lowercase().to_string()];
    }
    let r = readings(c);
    if r.is_empty() {
        vec![]
    } else {
        r
    }
}

/// Everything the search index holds for one resident.
pub struct KeySource<'a> {
    pub name: &'a str,
    pub id_number: Option<&'a str>,
    pub record_no: &'a str,
    pub phone: &'a str,
}

/// The namespaced index keys of a resident.
pub fn keys(src: &KeySource<'_>) -> Vec<String> {
    let mut keys = Vec::new();
    let name: String = src.name.chars().filter(|c| !c.is_whitespace() && *c != '·').collect();
    if !name.is_empty() {
        keys.push(format!("n:{name}"));
        let (_, given) = surname_split(&name);
        if !given.is_empty() {
            keys.push(format!("g:{given}"));
        }
        let (full, initials) = pinyin_keys(&name);
        keys.extend(full.into_iter().map(|k| format!("p:{k}")));
        keys.extend(initials.into_iter().map(|k| format!("i:{k}")));
    }
    if let Some(id) = src.id_number {
        keys.push(format!("id:{id}"));
    }
    keys.push(format!("r:{}", src.record_no));
    if src.record_no.len() == 17 {
        keys.push(format!("r8:{}", &src.record_no[9..]));
    }
    let phone: String = src.phone.chars().filter(char::is_ascii_digit).collect();
    if phone.len() >= 5 {
        keys.push(format!("t:{phone}"));
    }
    keys.sort();
    keys.dedup();
    keys
}

/// What the user typed into the search box, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// Nothing to search for: list residents in their default order.
    All,
    /// Exactly a 17-digit record number: a scanner's input opens the record.
    RecordNumber(String),
    /// Key prefixes, any of which may match.
    Prefixes(Vec<String>),
}

impl Query {
    pub fn parse(input: &str) -> Query {
        let s = normalize_ascii(input).to_lowercase();
        let compact: String = s.chars().filter(|c| !c.is_whitespace() && !matches!(c, '-' | '·')).collect();
        if compact.is_empty() {
            return Query::All;
        }
        let digits_x = compact.chars().all(|c| c.is_ascii_digit() || c == 'x');
        if compact.chars().all(|c| c.is_ascii_digit()) && compact.len() == 17 {
            return Query::RecordNumber(compact);
        }
        if digits_x {
            let upper = compact.to_ascii_uppercase();
            if upper.len() == 15 && upper.chars().all(|c| c.is_ascii_digit()) {
                // A 15-digit ID: search its upgraded 18-digit form; the check char is not needed for a prefix.
                let first17 = format!("{}19{}", &upper[..6], &upper[6..]);
                return Query::Prefixes(vec![format!("id:{first17}"), format!("t:{upper}")]);
            }
            if upper.contains('X') {
                return Query::Prefixes(vec![format!("id:{upper}")]);
            }
            let mut prefixes = vec![format!("id:{upper}"), format!("r:{upper}"), format!("t:{upper}")];
            if upper.len() <= 8 {
                prefixes.push(format!("r8:{upper}"));
            }
            return Query::Prefixes(prefixes);
        }
        if compact.chars().all(|c| c.is_ascii_alphabetic()) {
            return Query::Prefixes(vec![format!("p:{compact}"), format!("i:{compact}")]);
        }
        let name: String = compact.chars().filter(|c| !c.is_ascii_punctuation()).collect();
        Query::Prefixes(vec![format!("n:{name}"), format!("g:{name}")])
    }
}

/// The exclusive upper bound of all strings that start with `prefix`.
pub fn prefix_upper_bound(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(keys: &[String], k: &str) -> bool {
        keys.iter().any(|x| x == k)
    }

    #[test]
    fn plain_names_give_full_pinyin_and_initials() {
        let (full, initials) = pinyin_keys("张三");
        assert!(full.contains(&"zhangsan".to_string()), "{full:?}");
        assert_eq!(initials, vec!["zs"]);
    }

    #[test]
    fn polyphonic_surnames_read_as_surnames() {
        assert!(pinyin_keys("单田芳").0.contains(&"shantianfang".to_string()));
        assert!(!pinyin_keys("单田芳").0.iter().any(|k| k.starts_with("dan")), "单 as a surname is shan, not dan");
        assert!(pinyin_keys("曾国藩").0.contains(&"zengguofan".to_string()));
        assert_eq!(pinyin_keys("曾国藩").1, vec!["zgf"]);
        assert!(pinyin_keys("解缙").0.contains(&"xiejin".to_string()));
        assert!(pinyin_keys("区志强").0.contains(&"ouzhiqiang".to_string()));
        assert!(pinyin_keys("尉迟恭").0.contains(&"yuchigong".to_string()));
    }

    #[test]
    fn polyphonic_given_names_keep_every_reading() {
        // 乐 reads le or yue; a doctor may type either.
        let (full, _) = pinyin_keys("王乐");
        assert!(full.contains(&"wangle".to_string()) && full.contains(&"wangyue".to_string()), "{full:?}");
    }

    #[test]
    fn keys_cover_every_way_to_find_a_resident() {
        let k = keys(&KeySource {
            name: "张三",
            id_number: Some("11010519491231002X"),
            record_no: "45010210110100042",
            phone: "138 0013 8000",
        });
        for expected in
            ["n:张三", "g:三", "p:zhangsan", "i:zs", "id:11010519491231002X", "r:45010210110100042", "r8:10100042", "t:13800138000"]
        {
            assert!(has(&k, expected), "{expected} missing from {k:?}");
        }
    }

    #[test]
    fn queries_are_understood() {
        assert_eq!(Query::parse("  "), Query::All);
        assert_eq!(Query::parse("450102 101 101 00042"), Query::RecordNumber("45010210110100042".into()));
        assert_eq!(Query::parse("ZS"), Query::Prefixes(vec!["p:zs".into(), "i:zs".into()]));
        assert_eq!(Query::parse("11010519491231002x"), Query::Prefixes(vec!["id:11010519491231002X".into()]));
        assert_eq!(
            Query::parse("10100042"),
            Query::Prefixes(vec!["id:10100042".into(), "r:10100042".into(), "t:10100042".into(), "r8:10100042".into()])
        );
        assert_eq!(Query::parse("张"), Query::Prefixes(vec!["n:张".into(), "g:张".into()]));
    }
}
