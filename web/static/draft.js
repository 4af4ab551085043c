// draft.js drives the draft page: it builds the rule text from the form,
// asks the server for the canonical form and lint diagnostics as the text
// changes, and loads a pasted rule back into the form. Plain DOM, no
// framework, so the page works offline and under a CSP without inline code.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const ruleBox = $("rule");
  const items = $("items");
  const itemTemplate = $("item-template");

  // The rule text builder. Values typed in the form are rule syntax
  // already (|0d 0a| hex and the like); only characters that would end the
  // option early are escaped.
  function escapeArg(s) {
    let out = "";
    for (let i = 0; i < s.length; i++) {
      const c = s[i];
      if (c === "\\" && i + 1 < s.length && "\\\";:".includes(s[i + 1])) {
        out += c + s[i + 1];
        i++;
      } else if (c === "\"" || c === ";" || c === "\\") {
        out += "\\" + c;
      } else {
        out += c;
      }
    }
    return out;
  }

  function val(id) { return $(id).value.trim(); }

  function buildRule() {
    const head = [val("f-action"), val("f-proto"), val("f-src") || "any", val("f-sport") || "any",
      $("f-dir").value, val("f-dst") || "any", val("f-dport") || "any"].join(" ");
    const opts = [];
    const cat = $("f-category").value;
    const msg = val("f-msg");
    opts.push("msg:\"" + escapeArg(cat ? "ET " + cat + (msg ? " " + msg : "") : msg) + "\"");
    const flow = [$("f-flow-state").value, $("f-flow-dir").value].filter(Boolean);
    if (flow.length) opts.push("flow:" + flow.join(","));
    let buffer = "";
    for (const li of items.children) {
      const q = (cls) => li.querySelector(cls);
      const b = q(".i-buffer").value;
      if (b !== buffer) {
        opts.push(b === "" ? "pkt_data" : b);
        buffer = b;
      }
      const v = q(".i-value").value;
      const neg = q(".i-negate").checked ? "!" : "";
      if (q(".i-kind").value === "pcre") {
        opts.push("pcre:" + neg + "\"" + escapeArg(v) + "\"");
        continue;
      }
      opts.push("content:" + neg + "\"" + escapeArg(v) + "\"");
      if (q(".i-nocase").checked) opts.push("nocase");
      for (const m of ["depth", "offset", "distance", "within"]) {
        const n = q(".i-" + m).value.trim();
        if (n !== "") opts.push(m + ":" + n);
      }
      if (q(".i-startswith").checked) opts.push("startswith");
      if (q(".i-endswith").checked) opts.push("endswith");
      if (q(".i-fast").checked) opts.push("fast_pattern");
    }
    const other = val("f-other").replace(/;\s*$/, "");
    if (other) opts.push(other);
    const ref = val("f-ref");
    if (ref) opts.push("reference:" + $("f-ref-scheme").value + "," + ref);
    const ct = $("f-classtype").value;
    if (ct) opts.push("classtype:" + ct);
    opts.push("sid:" + val("f-sid"));
    opts.push("rev:" + val("f-rev"));
    const meta = [];
    for (const m of document.querySelectorAll(".meta")) {
      const v = m.value.trim();
      if (v) meta.push(m.dataset.key + " " + v);
    }
    if (meta.length) opts.push("metadata:" + meta.join(", "));
    return head + " (" + opts.join("; ") + ";)";
  }

  // Detection items: a list the user can add to, reorder and remove from.
  function addItem(data) {
    const li = itemTemplate.content.firstElementChild.cloneNode(true);
    const q = (cls) => li.querySelector(cls);
    data = data || {};
    q(".i-kind").value = data.kind || "content";
    q(".i-buffer").value = data.buffer || "";
    if (q(".i-buffer").value !== (data.buffer || "")) {
      // A buffer the picker does not list yet: offer it rather than lose it.
      const o = document.createElement("option");
      o.value = o.textContent = data.buffer;
      q(".i-buffer").appendChild(o);
      q(".i-buffer").value = data.buffer;
    }
    q(".i-value").value = data.value || "";
    for (const k of ["negate", "nocase", "fast", "startswith", "endswith"]) q(".i-" + k).checked = !!data[k];
    for (const k of ["depth", "offset", "distance", "within"]) q(".i-" + k).value = data[k] || "";
    q(".i-up").addEventListener("click", () => { if (li.previousElementSibling) items.insertBefore(li, li.previousElementSibling); formChanged(); });
    q(".i-down").addEventListener("click", () => { if (li.nextElementSibling) items.insertBefore(li.nextElementSibling, li); formChanged(); });
    q(".i-remove").addEventListener("click", () => { li.remove(); formChanged(); });
    items.appendChild(li);
    return li;
  }

  // Server calls. Each kind keeps a sequence number so that a slow answer
  // to old text never overwrites the answer to newer text.
  const seq = { lint: 0, format: 0 };
  async function post(path, body) {
    const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const j = await r.json().catch(() => ({ error: "bad response from server (" + r.status + ")" }));
    if (!r.ok && !j.error) j.error = "server answered " + r.status;
    return j;
  }

  function renderDiagnostics(doc) {
    const ul = $("diagnostics");
    ul.replaceChildren();
    if (doc.error) {
      const li = document.createElement("li");
      li.className = "error";
      li.textContent = doc.error;
      ul.appendChild(li);
      $("lint-summary").textContent = "";
      return;
    }
    const diags = doc.diagnostics || [];
    for (const d of diags) {
      const li = document.createElement("li");
      li.className = d.severity;
      li.dataset.code = d.code || "";
      const code = document.createElement("span");
      code.className = "code";
      code.textContent = d.line + ":" + d.column + " " + (d.code || d.severity);
      li.appendChild(code);
      li.appendChild(document.createTextNode(d.message));
      ul.appendChild(li);
    }
    const s = doc.summary || {};
    $("lint-summary").textContent = (s.errors || 0) + " errors, " + (s.warnings || 0) + " warnings";
    if (!diags.length) {
      const li = document.createElement("li");
      li.className = "ok";
      li.textContent = "No problems found.";
      ul.appendChild(li);
    }
  }

  async function refresh() {
    const text = ruleBox.value;
    const n = ++seq.lint;
    const [lint, fmt] = await Promise.all([post("/api/lint", { rules: text, style: "et" }), post("/api/format", { rules: text })]);
    if (n !== seq.lint) return;
    renderDiagnostics(lint);
    $("preview").textContent = fmt.error ? "(no canonical form until the rule parses: " + fmt.error + ")" : (fmt.text || "");
    document.body.dataset.linted = String(n);
  }

  let timer = 0;
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }

  function formChanged() {
    // A note about the loaded text (its parse errors) is stale once the
    // form rewrites the text.
    $("load-status").textContent = "";
    ruleBox.value = buildRule();
    schedule();
  }

  // setField sets an input or select; a select gets an extra option for a
  // value outside its list (an unknown classtype, a new metadata value)
  // rather than silently dropping it.
  function setField(el, v) {
    v = v == null ? "" : String(v);
    if (el.tagName === "SELECT" && v !== "" && ![...el.options].some((o) => o.value === v)) {
      const o = document.createElement("option");
      o.value = o.textContent = v;
      el.appendChild(o);
    }
    el.value = v;
  }

  async function loadIntoForm() {
    const status = $("load-status");
    status.textContent = "";
    const j = await post("/api/parse", { rule: ruleBox.value });
    if (j.error) {
      status.textContent = j.error;
      status.className = "hint error";
      return;
    }
    const r = j.rule;
    const set = (id, v) => setField($(id), v);
    set("f-action", r.action); set("f-proto", r.protocol);
    set("f-src", r.src); set("f-sport", r.src_port); set("f-dir", r.direction);
    set("f-dst", r.dst); set("f-dport", r.dst_port);
    set("f-category", r.category); set("f-msg", r.msg);
    set("f-flow-state", r.flow_state); set("f-flow-dir", r.flow_dir);
    set("f-ref-scheme", r.ref_scheme || "url"); set("f-ref", r.ref);
    set("f-classtype", r.classtype); set("f-sid", r.sid); set("f-rev", r.rev);
    set("f-other", r.other);
    for (const m of document.querySelectorAll(".meta")) setField(m, (r.metadata || {})[m.dataset.key]);
    items.replaceChildren();
    for (const it of r.items || []) addItem(it);
    status.className = "hint";
    const notes = (j.warnings || []).concat(j.errors || []);
    status.textContent = "Loaded. Changing the form rewrites the rule text." + (notes.length ? " Note: " + notes.join("; ") : "");
    schedule();
  }

  document.querySelector(".builder").addEventListener("input", formChanged);
  document.querySelector(".builder").addEventListener("change", formChanged);
  ruleBox.addEventListener("input", schedule);
  ruleBox.addEventListener("paste", () => setTimeout(loadIntoForm, 0));
  $("load").addEventListener("click", loadIntoForm);
  $("add-content").addEventListener("click", () => { addItem({ kind: "content", buffer: "http.uri" }); formChanged(); });
  $("add-pcre").addEventListener("click", () => { addItem({ kind: "pcre", buffer: "http.uri" }); formChanged(); });

  // Start from the text the server put in the box (a rule opened from the
  // rules page) or from a rule built from the form's defaults.
  if (ruleBox.value.trim()) {
    loadIntoForm();
  } else {
    addItem({ kind: "content", buffer: "http.uri" });
    formChanged();
  }
})();
