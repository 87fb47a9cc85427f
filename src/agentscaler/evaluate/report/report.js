/* Episode browser of the agentscaler report: filters the embedded episodes and renders them on
   demand. Every piece of episode text goes through textContent, never through HTML parsing. */
"use strict";
(function () {
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var episodes = data.episodes;
  var domains = data.domains || {};
  var pageSize = data.pageSize || 200;
  var $ = function (id) { return document.getElementById(id); };
  var list = $("episode-rows"), detail = $("episode-detail"), count = $("episode-count");
  var moreButton = $("episode-more");
  var filters = { domain: $("f-domain"), verdict: $("f-verdict"), outcome: $("f-outcome"), search: $("f-search") };
  var haystack = new Array(episodes.length);
  var filtered = [], shown = 0, selected = -1;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function option(select, value, label) {
    var o = el("option", null, label);
    o.value = value;
    select.appendChild(o);
  }
  function outcome(ep) { return ep.infra ? "infrastructure" : ep.success ? "success" : "failure"; }
  function badge(ep) {
    var kind = outcome(ep);
    var b = el("span", "badge " + (kind === "infrastructure" ? "infra" : kind), kind === "infrastructure" ? "infra" : kind);
    return b;
  }
  function verdictText(ep) {
    if (ep.kept === true) return "kept";
    if (ep.kept === false) return "rejected: " + (ep.reason || "?") + (ep.stage ? " (" + ep.stage + ")" : "");
    return "";
  }
  function domainName(id) { return domains[id] || id; }

  function setupFilters() {
    var perDomain = {}, reasons = {}, anyVerdict = false;
    episodes.forEach(function (ep) {
      perDomain[ep.domain] = (perDomain[ep.domain] || 0) + 1;
      if (ep.kept !== null && ep.kept !== undefined) anyVerdict = true;
      if (ep.reason) reasons[ep.reason] = (reasons[ep.reason] || 0) + 1;
    });
    option(filters.domain, "", "all domains (" + episodes.length + ")");
    Object.keys(perDomain).sort().forEach(function (d) {
      option(filters.domain, d, domainName(d) + " (" + perDomain[d] + ")");
    });
    option(filters.verdict, "", "any verdict");
    if (anyVerdict) {
      option(filters.verdict, "kept", "kept");
      option(filters.verdict, "rejected", "rejected");
      Object.keys(reasons).sort().forEach(function (r) {
        option(filters.verdict, "reason:" + r, "rejected: " + r + " (" + reasons[r] + ")");
      });
    } else {
      filters.verdict.disabled = true;
      filters.verdict.title = "this source has no filter verdicts";
    }
    [["", "any outcome"], ["success", "success"], ["failure", "failure"], ["infrastructure", "infrastructure failure"]]
      .forEach(function (p) { option(filters.outcome, p[0], p[1]); });
    filters.domain.addEventListener("change", apply);
    filters.verdict.addEventListener("change", apply);
    filters.outcome.addEventListener("change", apply);
    var timer = null;
    filters.search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(apply, 150);
    });
    moreButton.addEventListener("click", more);
  }

  function searchText(i) {
    if (haystack[i] === undefined) {
      var ep = episodes[i];
      var parts = [ep.id, ep.task, ep.intent, ep.detail, ep.reason || "", ep.termination || "", domainName(ep.domain)];
      ep.messages.forEach(function (m) {
        parts.push(m.content || "", m.reasoning || "", m.name || "");
        (m.calls || []).forEach(function (c) { parts.push(c.name, c.arguments); });
      });
      haystack[i] = parts.join("\n").toLowerCase();
    }
    return haystack[i];
  }

  function matches(i, f) {
    var ep = episodes[i];
    if (f.domain && ep.domain !== f.domain) return false;
    if (f.verdict === "kept" && ep.kept !== true) return false;
    if (f.verdict === "rejected" && ep.kept !== false) return false;
    if (f.verdict.indexOf("reason:") === 0 && ep.reason !== f.verdict.slice(7)) return false;
    if (f.outcome && outcome(ep) !== f.outcome) return false;
    if (f.terms.length) {
      var text = searchText(i);
      for (var t = 0; t < f.terms.length; t++) if (text.indexOf(f.terms[t]) < 0) return false;
    }
    return true;
  }

  function apply() {
    var f = {
      domain: filters.domain.value, verdict: filters.verdict.value, outcome: filters.outcome.value,
      terms: filters.search.value.toLowerCase().split(/\s+/).filter(Boolean)
    };
    filtered = [];
    for (var i = 0; i < episodes.length; i++) if (matches(i, f)) filtered.push(i);
    shown = 0;
    list.replaceChildren();
    more();
    count.textContent = filtered.length + " of " + episodes.length + " episodes";
  }

  function more() {
    var end = Math.min(filtered.length, shown + pageSize);
    var frag = document.createDocumentFragment();
    for (; shown < end; shown++) frag.appendChild(row(filtered[shown]));
    list.appendChild(frag);
    moreButton.hidden = shown >= filtered.length;
    moreButton.textContent = "show " + Math.min(pageSize, filtered.length - shown) + " more";
  }

  function row(i) {
    var ep = episodes[i];
    var tr = el("tr");
    tr.dataset.index = String(i);
    tr.tabIndex = 0;
    if (i === selected) tr.className = "selected";
    var first = el("td");
    first.appendChild(badge(ep));
    tr.appendChild(first);
    tr.appendChild(el("td", "id", ep.id));
    tr.appendChild(el("td", "id", ep.task));
    tr.appendChild(el("td", "num", ep.trial));
    tr.appendChild(el("td", null, domainName(ep.domain)));
    tr.appendChild(el("td", "num", ep.gold === null ? "" : ep.gold));
    tr.appendChild(el("td", "num", ep.calls));
    tr.appendChild(el("td", "num", ep.errors));
    tr.appendChild(el("td", null, verdictText(ep)));
    tr.addEventListener("click", function () { open(i); });
    tr.addEventListener("keydown", function (e) { if (e.key === "Enter") open(i); });
    return tr;
  }

  function pretty(text) {
    try { return { ok: true, text: JSON.stringify(JSON.parse(text), null, 2) }; }
    catch (e) { return { ok: false, text: text }; }
  }
  function isError(content) {
    if (!content) return false;
    if (/^\s*error\b/i.test(content)) return true;
    try { var v = JSON.parse(content); return !!(v && typeof v === "object" && !Array.isArray(v) && v.error); }
    catch (e) { return false; }
  }
  function fmt(value) { return value === undefined ? "" : JSON.stringify(value); }

  function meta(pairs) {
    var dl = el("dl", "meta");
    pairs.forEach(function (p) {
      if (p[1] === null || p[1] === undefined || p[1] === "") return;
      dl.appendChild(el("dt", null, p[0]));
      dl.appendChild(el("dd", null, p[1]));
    });
    return dl;
  }

  function message(m, callNames) {
    var box = el("div", "msg " + m.role);
    if (m.role === "system") {
      var d = el("details");
      d.appendChild(el("summary", null, "system prompt (" + (m.content || "").length + " characters)"));
      d.appendChild(el("div", "msg-text", m.content || ""));
      box.appendChild(d);
      return box;
    }
    var label = m.role;
    if (m.role === "tool") {
      var name = m.name || callNames[m.callId] || "?";
      label = "result of " + name + (m.callId ? "  [" + m.callId + "]" : "");
      if (isError(m.content)) { box.className += " error"; label += "  (error)"; }
    }
    box.appendChild(el("div", "role", label));
    if (m.reasoning) {
      var r = el("details");
      r.appendChild(el("summary", null, "reasoning"));
      r.appendChild(el("div", "msg-text", m.reasoning));
      box.appendChild(r);
    }
    if (m.content) {
      if (m.role === "tool") box.appendChild(el("pre", "result", pretty(m.content).text));
      else box.appendChild(el("div", "msg-text", m.content));
    }
    (m.calls || []).forEach(function (c) {
      var call = el("div", "call");
      var head = el("div", "call-head");
      head.appendChild(el("span", "call-name", c.name));
      head.appendChild(document.createTextNode(" "));
      head.appendChild(el("span", "call-id", c.id));
      var args = pretty(c.arguments);
      if (!args.ok) head.appendChild(el("span", "warn", "  arguments are not valid JSON"));
      call.appendChild(head);
      call.appendChild(el("pre", "arguments", args.text));
      box.appendChild(call);
    });
    return box;
  }

  function diffTable(diff) {
    var table = el("table", "diff");
    var head = el("tr");
    ["op", "table", "key", "column", "old", "new"].forEach(function (h) { head.appendChild(el("th", null, h)); });
    table.appendChild(head);
    diff.forEach(function (c) {
      var tr = el("tr");
      [c.op, c.table, fmt(c.key), c.column || "", fmt(c.old), fmt(c.new)].forEach(function (v) { tr.appendChild(el("td", null, v)); });
      table.appendChild(tr);
    });
    return table;
  }

  function open(i) {
    var ep = episodes[i];
    selected = i;
    Array.prototype.forEach.call(list.querySelectorAll("tr.selected"), function (tr) { tr.className = ""; });
    var current = list.querySelector('tr[data-index="' + i + '"]');
    if (current) current.className = "selected";
    detail.replaceChildren();
    var title = el("h3");
    title.appendChild(badge(ep));
    title.appendChild(document.createTextNode(" " + ep.id));
    detail.appendChild(title);
    detail.appendChild(meta([
      ["task", ep.task], ["trial", ep.trial], ["domain", domainName(ep.domain)],
      ["task kind", ep.readOnly === null ? "" : ep.readOnly ? "read-only" : "write"],
      ["termination", ep.termination], ["verdict", verdictText(ep)], ["reward", ep.reward],
      ["gold calls", ep.goldCalls.length ? ep.goldCalls.join(" → ") : (ep.gold === 0 ? "none" : "")],
      ["agent calls", ep.calls], ["tool errors", ep.errors], ["tokens", ep.tokens]
    ]));
    if (ep.detail) detail.appendChild(el("pre", "verdict-detail", ep.detail));
    if (ep.intent) detail.appendChild(el("div", "intent", ep.intent));
    var callNames = {};
    ep.messages.forEach(function (m) { (m.calls || []).forEach(function (c) { callNames[c.id] = c.name; }); });
    var messages = el("div", "messages");
    ep.messages.forEach(function (m) { messages.appendChild(message(m, callNames)); });
    detail.appendChild(el("h2", null, "Conversation (" + ep.messages.length + " messages)"));
    detail.appendChild(messages);
    if (ep.diff.length) {
      detail.appendChild(el("h2", null, "State diff (" + ep.diff.length + " changes)"));
      detail.appendChild(diffTable(ep.diff));
    }
    detail.scrollTop = 0;
    if (history.replaceState) history.replaceState(null, "", "#episode=" + encodeURIComponent(ep.id));
  }

  function openFromHash() {
    var m = /^#episode=(.+)$/.exec(location.hash);
    if (!m) return;
    var wanted = decodeURIComponent(m[1]);
    if (selected >= 0 && episodes[selected].id === wanted) return;
    for (var i = 0; i < episodes.length; i++) if (episodes[i].id === wanted) { open(i); break; }
  }

  setupFilters();
  apply();
  openFromHash();
  window.addEventListener("hashchange", openFromHash);
  document.body.dataset.ready = "true";
})();
