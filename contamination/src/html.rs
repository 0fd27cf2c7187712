//! The self-contained HTML report: inline CSS and JavaScript, no network access.

use crate::check::ItemResult;
use crate::method::Label;
use crate::report::Report;
use std::fmt::Write;

/// Most contaminated items listed in the page (the JSON report has them all).
pub const MAX_LISTED: usize = 5000;

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

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
    let mut h = String::with_capacity(1 << 20);
    let _ = write!(
        h,
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content='width=device-width,initial-scale=1'>\
         <title>Contamination report: {}</title><style>{CSS}</style></head><body>",
        esc(&rep.index.name)
    );
    let _ = write!(
        h,
        "<h1>Benchmark contamination report</h1><div class=meta>Index <b>{}</b> ({} documents, {} tokens) · \
         {} items from {} · methods {} · checked in {:.1} s ({:.0} items/s) · verbatim {}</div>",
        esc(&rep.index.name),
        rep.index.documents,
        rep.index.tokens,
        rep.summary.items,
        esc(&rep.inputs.join(", ")),
        esc(&rep
            .methods
            .iter()
            .map(|m| m.name())
            .collect::<Vec<_>>()
            .join(", ")),
        rep.timing.wall_seconds,
        rep.timing.items_per_second,
        esc(&rep.verbatim_version)
    );
    let _ = write!(
        h,
        "<div class=legend><span class=clean>clean</span><span class=suspicious>suspicious</span><span class=dirty>dirty</span> \
         Definitions: <b>gpt3</b> any word 13-gram found in ≤ 10 documents · <b>palm</b> ≥ 70% of word 8-grams found · \
         <b>llama2</b> tokens covered by matches &gt; 10 tokens (clean &lt; 20%, dirty &gt; 80%{}) · \
         <b>gpt4</b> any of 3 random 50-char alphanumeric substrings found · <b>substr50</b> 50-char substrings at every word \
         (clean &lt; 20% ≤ suspicious &lt; 80% ≤ dirty).</div>",
        if rep.options.llama2_skip > 0 {
            format!(", skip budget {}", rep.options.llama2_skip)
        } else {
            String::new()
        }
    );

    // Summary table.
    h.push_str("<h2>Summary</h2><table><thead><tr><th>method</th><th>items</th><th>clean</th><th>suspicious</th><th>dirty</th><th>dirty share</th><th>mean score</th><th>time (cpu s)</th></tr></thead><tbody>");
    for m in &rep.methods {
        let c = rep
            .summary
            .overall
            .get(m.name())
            .cloned()
            .unwrap_or_default();
        let cpu = rep
            .timing
            .method_cpu_seconds
            .get(m.name())
            .copied()
            .unwrap_or(0.0);
        let _ = write!(
            h,
            "<tr><td>{m}</td><td class=n>{}</td><td class='n clean'>{}</td><td class='n suspicious'>{}</td><td class='n dirty'>{}</td>\
             <td class=n>{:.2}%</td><td class=n>{:.3}</td><td class=n>{:.2}</td></tr>",
            c.items, c.clean, c.suspicious, c.dirty, 100.0 * c.dirty_share, c.mean_score, cpu
        );
    }
    if let Some(cpu) = rep.timing.method_cpu_seconds.get(crate::report::SHARED) {
        let _ = write!(
            h,
            "<tr><td colspan=7><i>words-side-index searches shared by gpt3, palm and substr50 (one pass per item)</i></td><td class=n>{cpu:.2}</td></tr>"
        );
    }
    h.push_str("</tbody></table>");

    // Bars per benchmark.
    h.push_str("<h2>Per benchmark</h2>");
    for (b, per) in &rep.summary.benchmarks {
        let n = per.values().next().map_or(0, |c| c.items);
        let _ = write!(
            h,
            "<div class=bench><div class=name>{}<br><small>{n} items</small></div><div>",
            esc(b)
        );
        for m in &rep.methods {
            let c = per.get(m.name()).cloned().unwrap_or_default();
            let _ = write!(
                h,
                "<div class=row><span>{m}</span><div class=bar title='{m}: {} clean, {} suspicious, {} dirty'>\
                 <div class=c style='width:{:.3}%'></div><div class=s style='width:{:.3}%'></div><div class=d style='width:{:.3}%'></div></div>\
                 <span>{:.1}% dirty{}</span></div>",
                c.clean,
                c.suspicious,
                c.dirty,
                100.0 * c.clean_share,
                100.0 * c.suspicious_share,
                100.0 * c.dirty_share,
                100.0 * c.dirty_share,
                if c.suspicious > 0 {
                    format!(" · {:.1}% susp.", 100.0 * c.suspicious_share)
                } else {
                    String::new()
                }
            );
        }
        h.push_str("</div></div>");
    }

    // Contaminated items.
    let mut flagged: Vec<&ItemResult> = rep
        .items
        .iter()
        .filter(|r| r.worst() != Label::Clean)
        .collect();
    let total_flagged = flagged.len();
    flagged.sort_by_key(|r| std::cmp::Reverse(label_weight(r)));
    flagged.truncate(MAX_LISTED);
    let _ = write!(
        h,
        "<h2>Contaminated items ({total_flagged} flagged by at least one method{})</h2>\
         <input id=filter placeholder='filter rows (benchmark, id, text, document)'>\
         <table id=items><thead><tr><th class=sort>benchmark</th><th class=sort>id</th><th class=sort>dirty methods</th>",
        if total_flagged > MAX_LISTED {
            format!("; the {MAX_LISTED} most contaminated are listed, the JSON report has all")
        } else {
            String::new()
        }
    );
    for m in &rep.methods {
        let _ = write!(h, "<th class=sort>{m}</th>");
    }
    h.push_str("<th>evidence</th></tr></thead><tbody>");
    for r in flagged {
        let (dirty, _, _) = label_weight(r);
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=n>{dirty}</td>",
            esc(&r.bench),
            esc(&r.id)
        );
        for m in &rep.methods {
            match r.get(*m) {
                Some(x) => {
                    let _ = write!(
                        h,
                        "<td class='n {}' data-v='{:.6}' title='{} of {} matched'>{:.2}</td>",
                        x.label.name(),
                        x.score,
                        x.matched,
                        x.units,
                        x.score
                    );
                }
                None => h.push_str("<td></td>"),
            }
        }
        h.push_str("<td class=ev><details><summary>show</summary>");
        for x in &r.methods {
            if x.spans.is_empty() && x.examples.is_empty() {
                continue;
            }
            let _ = write!(
                h,
                "<div><b>{}</b> ({}, {} of {} matched)",
                x.method,
                x.label.name(),
                x.matched,
                x.units
            );
            if let Some(n) = &x.note {
                let _ = write!(h, " <i>{}</i>", esc(n));
            }
            h.push_str("<br>");
            for s in x.spans.iter().take(5) {
                let _ = write!(h, "<code>{}</code> ", esc(&cut(s, 160)));
            }
            for e in &x.examples {
                let _ = write!(
                    h,
                    "<div class=snip>📄 <b>{}</b>{}: …{}<mark>{}</mark>{}…</div>",
                    esc(&e.id),
                    e.source
                        .as_deref()
                        .map(|s| format!(" ({})", esc(s)))
                        .unwrap_or_default(),
                    esc(&cut_left(&e.snippet.before, 120)),
                    esc(&cut(&e.snippet.matched, 300)),
                    esc(&cut(&e.snippet.after, 120))
                );
            }
            h.push_str("</div>");
        }
        h.push_str("</details></td></tr>");
    }
    h.push_str("</tbody></table>");
    let _ = writeln!(h, "<script>{JS}</script></body></html>");
    h
}
