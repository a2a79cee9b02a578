"""The review page: one self-contained HTML document (inline CSS and script, no CDN).

Everything from the store is inserted with textContent, never as HTML, so a
quote cannot inject markup.
"""

PAGE = r"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>stance · review</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="stance-token" content="__STANCE_TOKEN__">
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:900px;padding:1rem 1.5rem;color:#222;line-height:1.45}
header{display:flex;justify-content:space-between;align-items:baseline}
#progress{font-size:.95rem;color:#555}#bar{height:6px;background:#eee;border-radius:3px;margin:.3rem 0 1rem}
#bar div{height:6px;background:#1565c0;border-radius:3px;width:0}
.meta{color:#666;font-size:.9rem}.para{background:#fafafa;border:1px solid #eee;padding:.8rem 1rem;margin:.6rem 0;white-space:pre-wrap}
mark{background:#fff59d;padding:0 .1em}.row{margin:.7rem 0}.row b{display:inline-block;width:6.5rem}
button{font:inherit;margin:.15rem;padding:.25rem .6rem;border:1px solid #bbb;background:#fff;border-radius:4px;cursor:pointer}
button.on{background:#1565c0;color:#fff;border-color:#1565c0}kbd{font-size:.75rem;color:#888;margin-left:.3rem}
button.on kbd{color:#dde}#status{min-height:1.4rem;margin:.5rem 0}.err{color:#c62828}.ok{color:#2e7d32}
.guess{color:#555;font-size:.92rem}.done{color:#2e7d32;font-weight:600}input{font:inherit;padding:.2rem .4rem;width:18rem}
</style></head><body>
<header><h1>Review</h1><span id="progress"></span></header><div id="bar"><div></div></div>
<div id="item">
 <div class="meta" id="where"></div>
 <div class="para" id="para"></div>
 <div class="row"><b>Speaker</b><input id="speaker" list="names" aria-label="speaker"><datalist id="names"></datalist>
   <span class="meta" id="mention"></span></div>
 <div class="row guess" id="guess"></div>
 <div class="row"><b>Target</b><span id="targets"></span></div>
 <div class="row"><b>Stance</b><span id="stances"></span></div>
 <div class="row"><button id="save">Save &amp; next<kbd>Enter</kbd></button>
   <button id="notstatement">Not a statement<kbd>x</kbd></button>
   <button id="prev">Previous<kbd>←</kbd></button><button id="next">Next<kbd>→</kbd></button>
   <button id="undo">Undo<kbd>u</kbd></button></div>
 <div id="status" role="status"></div>
</div>
<p class="meta">Keys: a digit picks a target, the letter shown picks a stance; Enter saves and moves on; x marks
the row as not an attributed statement; ← → move without saving; u undoes the last save. Esc leaves the speaker field.</p>
<script nonce="__STANCE_NONCE__">
"use strict";
let S = null, at = 0, choice = {}, history = [];
const $ = id => document.getElementById(id);
const RESERVED = new Set(["x", "u"]);

function keysFor(names) {
  const used = new Set(), keys = {};
  for (const name of names) {
    const letters = (name.toLowerCase().match(/[a-z]/g) || []).concat("abcdefghijklmnopqrstvwyz".split(""));
    const k = letters.find(c => !used.has(c) && !RESERVED.has(c));
    used.add(k); keys[name] = k;
  }
  return keys;
}
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }
function status(text, cls) { const s = $("status"); s.textContent = text; s.className = cls || ""; }

// Every write carries the session token the server put into this page: other pages and processes cannot know it.
const TOKEN = document.querySelector('meta[name="stance-token"]').content;
async function api(path, body) {
  const r = await fetch(path, body === undefined ? {} : {method: "POST", body: JSON.stringify(body),
    headers: {"Content-Type": "application/json", "X-Stance-Token": TOKEN}});
  const data = await r.json();
  if (!r.ok) throw new Error(data.error || r.statusText);
  return data;
}

function current() { return S.queue[at]; }
function render() {
  const q = current(), done = Object.keys(S.reviews).length, n = S.queue.length;
  $("progress").textContent = `${at + 1} of ${n} · ${done} reviewed`;
  $("bar").firstElementChild.style.width = `${Math.round(100 * done / Math.max(1, n))}%`;
  $("where").textContent = `${q.article} · ${q.date || "undated"} · statement ${q.id}` + (S.reviews[q.id] ? " · reviewed" : "");
  const para = $("para"); para.replaceChildren();
  const [text, start, end] = q.paragraph || [q.context || q.text, -1, -1];
  let s = start, e = end;
  if (s < 0) { s = text.indexOf(q.text); e = s < 0 ? -1 : s + q.text.length; }
  if (s >= 0) { para.append(text.slice(0, s), el("mark", text.slice(s, e)), text.slice(e)); } else { para.append(el("mark", q.text)); }
  const r = S.reviews[q.id];
  $("speaker").value = (r && r.speaker) || q.speaker;
  $("mention").textContent = q.speaker_mention ? `as written: “${q.speaker_mention}”` : "";
  const pct = p => Object.entries(p).sort((a, b) => b[1] - a[1]).slice(0, 2).map(([k, v]) => `${k} ${Math.round(v * 100)}%`).join(", ");
  $("guess").textContent = `Model: ${q.target} / ${q.stance}  (target ${pct(q.target_probs)}; stance ${pct(q.stance_probs)})`;
  choice = r && r.statement !== false ? {target: r.target, stance: r.stance} : {target: q.target, stance: q.stance};
  paint();
}
function paint() {
  for (const [box, names, keys, field] of [["targets", S.targets, S.targetKeys, "target"], ["stances", S.stances, S.stanceKeys, "stance"]]) {
    const span = $(box); span.replaceChildren();
    for (const name of names) {
      const b = el("button", name, choice[field] === name ? "on" : "");
      b.dataset[field] = name; b.append(el("kbd", keys[name]));
      b.onclick = () => pick(field, name);
      span.append(b);
    }
  }
}
function pick(field, name) {
  choice[field] = name;
  if (field === "target" && name === S.none_label) choice.stance = S.none_label;
  if (field === "stance" && name !== S.none_label && choice.target === S.none_label) choice.target = current().target !== S.none_label ? current().target : choice.target;
  paint();
}
async function save(row) {
  const q = current();
  try {
    await api("/api/review", Object.assign({id: q.id}, row));
    S.reviews[q.id] = row.statement === false ? {statement: false} : Object.assign({statement: true}, row);
    history.push(q.id);
    status(row.statement === false ? `statement ${q.id}: not a statement` : `saved ${q.id}: ${row.target} / ${row.stance}`, "ok");
    move(1);
  } catch (err) { status(err.message, "err"); }
}
function saveChoice() {
  const row = {target: choice.target, stance: choice.stance};
  const speaker = $("speaker").value.trim();
  if (speaker && speaker !== current().speaker) row.speaker = speaker;
  return save(row);
}
async function undo() {
  const id = history.pop();
  if (id === undefined) { status("nothing to undo", "err"); return; }
  try {
    await api("/api/undo", {id});
    delete S.reviews[id];
    at = S.queue.findIndex(q => q.id === id);
    render(); status(`undid the review of statement ${id}`, "ok");
  } catch (err) { status(err.message, "err"); }
}
function move(step) {
  if (at + step >= S.queue.length) { render(); status(`all ${S.queue.length} done — ${Object.keys(S.reviews).length} reviewed`, "ok done"); return; }
  at = Math.max(0, at + step); render();
}
document.addEventListener("keydown", ev => {
  if (ev.target.tagName === "INPUT") { if (ev.key === "Escape") ev.target.blur(); if (ev.key === "Enter") { ev.preventDefault(); saveChoice(); } return; }
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const k = ev.key;
  if (/^[1-9]$/.test(k) && S.targets[+k - 1]) { pick("target", S.targets[+k - 1]); return; }
  const stance = S.stances.find(n => S.stanceKeys[n] === k.toLowerCase());
  if (stance) { pick("stance", stance); return; }
  if (k === "Enter") { ev.preventDefault(); saveChoice(); }
  else if (k === "x") save({statement: false});
  else if (k === "u") undo();
  else if (k === "ArrowRight") move(1);
  else if (k === "ArrowLeft") move(-1);
});
$("save").onclick = saveChoice; $("notstatement").onclick = () => save({statement: false});
$("prev").onclick = () => move(-1); $("next").onclick = () => move(1); $("undo").onclick = undo;
api("/api/state").then(state => {
  S = state;
  S.targetKeys = Object.fromEntries(S.targets.map((t, i) => [t, String(i + 1)]));
  S.stanceKeys = keysFor(S.stances);
  const list = $("names"); for (const n of S.names) { const o = document.createElement("option"); o.value = n; list.append(o); }
  if (!S.queue.length) { $("item").replaceChildren(el("p", "Nothing to review: every statement has been reviewed.")); return; }
  render();
}).catch(err => status(err.message, "err"));
</script></body></html>
"""


def render_page(token: str) -> tuple[str, str]:
    """The review page's HTML carrying the session's write token, and the nonce its script runs under."""
    import html
    import secrets

    nonce = secrets.token_urlsafe(16)
    page = PAGE.replace("__STANCE_TOKEN__", html.escape(token, quote=True)).replace("__STANCE_NONCE__", nonce)
    return page, nonce
