//! The self-contained HTML report: inline CSS and JavaScript, no network access. The page is
//! a `maud` template, which escapes every text it inserts.

use crate::check::ItemResult;
use crate::method::Label;
use crate::report::Report;
use maud::{html, Markup, PreEscaped, DOCTYPE};

/// Most contaminated items listed in the page (the JSON report has them all).
pub const MAX_LISTED: usize = 5000;

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let t: String = s.chars().take(max).collect();
        format!("{t}…")
    }
}

fn cut_left(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        s.to_string()
    } else {
        let t: String = s.chars().skip(n - max).collect();
        format!("…{t}")
    }
}

const CSS: &str = r#"
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1d232a;background:#fafbfc}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#59636e;margin-bottom:16px}
table{border-collapse:collapse;background:#fff}
th,td{border:1px solid #d8dee4;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f1f3f5;position:sticky;top:0}
th.sort{cursor:pointer;user-select:none}th.sort:after{content:" \2195";color:#8c959f}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.clean{background:#e6f4ea}.suspicious{background:#fff4d6}.dirty{background:#fde2e1}
.legend span{display:inline-block;padding:1px 8px;margin-right:6px;border-radius:3px}
.bench{display:grid;grid-template-columns:200px 1fr;gap:2px 12px;align-items:center;margin:10px 0}
.bench .name{font-weight:600}
.row{display:grid;grid-template-columns:80px 1fr 150px;gap:8px;align-items:center;font-size:12px}
.bar{display:flex;height:14px;border-radius:3px;overflow:hidden;background:#eee}
.bar div{height:100%}.bar .c{background:#7cc48c}.bar .s{background:#f2c14e}.bar .d{background:#e5534b}
details summary{cursor:pointer;color:#0969da}
.ev{font-size:12px;max-width:720px}.ev code{background:#f1f3f5;padding:0 3px;border-radius:3px}
mark{background:#ffd33d}
.snip{color:#59636e;margin:2px 0 6px 12px;word-break:break-word}
#filter{margin:6px 0;padding:4px 8px;width:320px}
"#;

const JS: &str = r#"
function sortBy(th){
  const table=th.closest('table'),body=table.tBodies[0],i=[...th.parentNode.children].indexOf(th);
  const asc=th.dataset.dir!=='asc';th.dataset.dir=asc?'asc':'desc';
  const key=r=>{const c=r.children[i];const v=c.dataset.v!==undefined?c.dataset.v:c.textContent;const f=parseFloat(v);return isNaN(f)?v.toLowerCase():f;};
  const rows=[...body.rows];
  rows.sort((a,b)=>{const x=key(a),y=key(b);return (x<y?-1:x>y?1:0)*(asc?1:-1);});
  rows.forEach(r=>body.appendChild(r));
}
document.querySelectorAll('th.sort').forEach(th=>th.addEventListener('click',()=>sortBy(th)));
const f=document.getElementById('filter');
if(f){f.addEventListener('input',()=>{const q=f.value.toLowerCase();
  document.querySelectorAll('#items tbody tr').forEach(r=>{r.style.display=r.textContent.toLowerCase().includes(q)?'':'none';});});}
"#;

fn label_weight(r: &ItemResult) -> (usize, usize, u64) {
    let dirty = r.methods.iter().filter(|m| m.label == Label::Dirty).count();
    let susp = r
        .methods
        .iter()
        .filter(|m| m.label == Label::Suspicious)
        .count();
    let score: f64 = r.methods.iter().map(|m| m.score).sum();
    (dirty, susp, (score * 1e6) as u64)
}

/// Renders the report as one HTML page.
pub fn render(rep: &Report) -> String {
    let method_names: Vec<&str> = rep.methods.iter().map(|m| m.name()).collect();
    let skip = if rep.options.llama2_skip > 0 {
        format!(", skip budget {}", rep.options.llama2_skip)
    } else {
        String::new()
    };
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                title { "Contamination report: " (rep.index.name) }
                style { (PreEscaped(CSS)) }
            }
            body {
                h1 { "Benchmark contamination report" }
                div.meta {
                    "Index " b { (rep.index.name) }
                    (format!(" ({} documents, {} tokens) · {} items from ", rep.index.documents, rep.index.tokens, rep.summary.items))
                    (rep.inputs.join(", "))
                    " · methods " (method_names.join(", "))
                    (format!(" · checked in {:.1} s ({:.0} items/s) · verbatim ", rep.timing.wall_seconds, rep.timing.items_per_second))
                    (rep.verbatim_version)
                }
                div.legend {
                    span.clean { "clean" } span.suspicious { "suspicious" } span.dirty { "dirty" }
                    " Definitions: " b { "gpt3" } " any word 13-gram found in ≤ 10 documents · "
                    b { "palm" } " ≥ 70% of word 8-grams found · "
                    b { "llama2" } " tokens covered by matches > 10 tokens (clean < 20% ≤ suspicious < 80% ≤ dirty" (skip) ") · "
                    b { "gpt4" } " any of 3 random 50-char alphanumeric substrings found · "
                    b { "substr50" } " 50-char substrings at every word (clean < 20% ≤ suspicious < 80% ≤ dirty)."
                }
                (summary(rep))
                (benchmarks(rep))
                (items(rep))
                script { (PreEscaped(JS)) }
            }
        }
    };
    page.into_string()
}

/// The summary table: one row per method.
fn summary(rep: &Report) -> Markup {
    html! {
        h2 { "Summary" }
        table {
            thead { tr {
                th { "method" } th { "items" } th { "clean" } th { "suspicious" } th { "dirty" }
                th { "dirty share" } th { "mean score" } th { "time (cpu s)" }
            } }
            tbody {
                @for m in &rep.methods {
                    @let c = rep.summary.overall.get(m.name()).cloned().unwrap_or_default();
                    @let cpu = rep.timing.method_cpu_seconds.get(m.name()).copied().unwrap_or(0.0);
                    tr {
                        td { (m) } td.n { (c.items) }
                        td class="n clean" { (c.clean) }
                        td class="n suspicious" { (c.suspicious) }
                        td class="n dirty" { (c.dirty) }
                        td.n { (format!("{:.2}%", 100.0 * c.dirty_share)) }
                        td.n { (format!("{:.3}", c.mean_score)) }
                        td.n { (format!("{cpu:.2}")) }
                    }
                }
                @if let Some(cpu) = rep.timing.method_cpu_seconds.get(crate::report::SHARED) {
                    tr {
                        td colspan="7" { i { "words-side-index searches shared by gpt3, palm and substr50 (one pass per item)" } }
                        td.n { (format!("{cpu:.2}")) }
                    }
                }
            }
        }
    }
}

/// Bars of clean / suspicious / dirty shares per benchmark and method.
fn benchmarks(rep: &Report) -> Markup {
    html! {
        h2 { "Per benchmark" }
        @for (b, per) in &rep.summary.benchmarks {
            @let n = per.values().next().map_or(0, |c| c.items);
            div.bench {
                div.name { (b) br; small { (n) " items" } }
                div {
                    @for m in &rep.methods {
                        @let c = per.get(m.name()).cloned().unwrap_or_default();
                        div.row {
                            span { (m) }
                            div.bar title=(format!("{m}: {} clean, {} suspicious, {} dirty", c.clean, c.suspicious, c.dirty)) {
                                div.c style=(format!("width:{:.3}%", 100.0 * c.clean_share)) {}
                                div.s style=(format!("width:{:.3}%", 100.0 * c.suspicious_share)) {}
                                div.d style=(format!("width:{:.3}%", 100.0 * c.dirty_share)) {}
                            }
                            span {
                                (format!("{:.1}% dirty", 100.0 * c.dirty_share))
                                @if c.suspicious > 0 {
                                    (format!(" · {:.1}% susp.", 100.0 * c.suspicious_share))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The contaminated items, most contaminated first, with their evidence.
fn items(rep: &Report) -> Markup {
    let mut flagged: Vec<&ItemResult> = rep
        .items
        .iter()
        .filter(|r| r.worst() != Label::Clean)
        .collect();
    let total_flagged = flagged.len();
    flagged.sort_by_key(|r| std::cmp::Reverse(label_weight(r)));
    flagged.truncate(MAX_LISTED);
    html! {
        h2 {
            "Contaminated items (" (total_flagged) " flagged by at least one method"
            @if total_flagged > MAX_LISTED {
                "; the " (MAX_LISTED) " most contaminated are listed, the JSON report has all"
            }
            ")"
        }
        input #filter placeholder="filter rows (benchmark, id, text, document)";
        table #items {
            thead { tr {
                th.sort { "benchmark" } th.sort { "id" } th.sort { "dirty methods" }
                @for m in &rep.methods { th.sort { (m) } }
                th { "evidence" }
            } }
            tbody {
                @for r in flagged {
                    tr {
                        td { (r.bench) } td { (r.id) } td.n { (label_weight(r).0) }
                        @for m in &rep.methods {
                            @if let Some(x) = r.get(*m) {
                                td class=(format!("n {}", x.label.name())) data-v=(format!("{:.6}", x.score))
                                    title=(format!("{} of {} matched", x.matched, x.units)) { (format!("{:.2}", x.score)) }
                            } @else {
                                td {}
                            }
                        }
                        td.ev { details { summary { "show" } (evidence(r)) } }
                    }
                }
            }
        }
    }
}

/// Matched units and example documents of each method of an item.
fn evidence(r: &ItemResult) -> Markup {
    html! {
        @for x in &r.methods {
            @if !(x.spans.is_empty() && x.examples.is_empty()) {
                div {
                    b { (x.method) } (format!(" ({}, {} of {} matched)", x.label.name(), x.matched, x.units))
                    @if let Some(n) = &x.note { " " i { (n) } }
                    br;
                    @for s in x.spans.iter().take(5) { code { (cut(s, 160)) } " " }
                    @for e in &x.examples {
                        div.snip {
                            "📄 " b { (e.id) }
                            @if let Some(s) = &e.source { " (" (s) ")" }
                            ": …" (cut_left(&e.snippet.before, 120))
                            mark { (cut(&e.snippet.matched, 300)) }
                            (cut(&e.snippet.after, 120)) "…"
                        }
                    }
                }
            }
        }
    }
}
