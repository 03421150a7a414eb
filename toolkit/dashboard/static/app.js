// museokit dashboard: live updates over SSE and actions through fetch. No framework, no CDN.
"use strict";
(function () {
  var body = document.body;
  var csrf = body.dataset.csrf;
  function toast(text, bad) {
    var t = document.getElementById("toast");
    t.textContent = text;
    t.className = bad ? "show bad" : "show";
    setTimeout(function () { t.className = ""; }, 4000);
  }
  function ago(ts) {
    if (!ts) { return ""; }
    var s = Math.max(0, Math.round(Date.now() / 1000 - ts));
    if (s < 60) { return s + " s"; }
    if (s < 3600) { return Math.round(s / 60) + " min"; }
    return Math.round(s / 3600) + " h";
  }
  function tick() {
    document.querySelectorAll(".seen[data-ts]").forEach(function (el) {
      el.textContent = ago(parseFloat(el.dataset.ts));
    });
  }
  function setUp(el, up) {
    if (!el) { return; }
    el.classList.toggle("up", up);
    el.classList.toggle("down", !up);
    var s = el.querySelector(".status");
    if (s) { s.textContent = up ? body.dataset.online : body.dataset.offline; }
  }
  var reloadSoon = null;
  function reload() {
    if (!reloadSoon) { reloadSoon = setTimeout(function () { location.reload(); }, 300); }
  }
  function find(attr, key) {
    var all = document.querySelectorAll("[" + attr + "]");
    for (var i = 0; i < all.length; i++) { if (all[i].getAttribute(attr) === key) { return all[i]; } }
    return null;
  }
  function onMessage(m) {
    if (m.t === "dev") {
      var el = find("data-dev", m.site + "/" + m.node + "/" + m.id);
      if (!el) { if (document.querySelector("[data-node]") && !document.querySelector("[data-site]")) { reload(); } return; }
      var node = find("data-node", m.site + "/" + m.node);
      setUp(el, m.online && !(node && node.classList.contains("down")));
      el.querySelector(".label").textContent = m.label;
      var seen = el.querySelector(".seen");
      if (m.last_seen) { seen.dataset.ts = m.last_seen; seen.textContent = ago(m.last_seen); }
    } else if (m.t === "node") {
      var n = find("data-node", m.site + "/" + m.node);
      if (!n) { reload(); return; }
      setUp(n, m.online);
      n.querySelectorAll("[data-dev]").forEach(function (d) { if (!m.online) { setUp(d, false); } });
    } else if (m.t === "error") {
      var ul = document.getElementById("errors");
      if (ul) { var li = document.createElement("li"); li.textContent = m.where + ": " + m.text; ul.insertBefore(li, ul.firstChild); }
    } else if (m.t === "alert" || m.t === "mode" || m.t === "site") {
      reload();
    }
  }
  if (csrf && window.EventSource) {
    var es = new EventSource("/events");
    es.onmessage = function (e) {
      var batch = JSON.parse(e.data);
      for (var i = 0; i < batch.length; i++) { onMessage(batch[i]); }
      body.dataset.live = String((parseInt(body.dataset.live || "0", 10) + 1));
    };
  }
  document.querySelectorAll("form.act").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (form.dataset.confirm && !window.confirm(body.dataset.sure)) { return; }
      var data = {};
      new FormData(form).forEach(function (v, k) { data[k] = v; });
      form.querySelectorAll("input[type=checkbox]").forEach(function (c) { data[c.name] = c.checked ? "1" : "0"; });
      fetch(form.action, {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
        body: JSON.stringify(data)}).then(function (r) {
        return r.json().then(function (j) { toast(j.message, !r.ok); if (j.reload) { reload(); } });
      }).catch(function () { toast("network error", true); });
    });
  });
  tick();
  setInterval(tick, 5000);
})();
