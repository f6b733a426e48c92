/* The case lists, the overview and the workspace: long texts folded, live lists, who else is in a
   case, keyboard shortcuts. Progressive enhancement: every page works without this file. */
(function () {
  "use strict";

  function typing(el) {
    if (!el || !el.tagName) return false;
    var tag = el.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || el.isContentEditable;
  }

  // --- long texts: folded to a few lines, with a button to show all -----------------------------
  function foldLongTexts(root) {
    (root || document).querySelectorAll(".long-text").forEach(function (box) {
      if (box.getAttribute("data-folded")) return;
      var body = box.querySelector(".long-body");
      box.setAttribute("data-folded", "1");
      if (!body || body.scrollHeight <= body.clientHeight + 4) {
        box.classList.add("short");
        return;
      }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "long-toggle";
      button.setAttribute("aria-expanded", "false");
      button.textContent = box.getAttribute("data-more");
      button.addEventListener("click", function () {
        var open = box.classList.toggle("open");
        button.setAttribute("aria-expanded", open ? "true" : "false");
        button.textContent = box.getAttribute(open ? "data-less" : "data-more");
      });
      box.appendChild(button);
    });
  }

  // --- live lists: poll only when the reader is not in the middle of something ------------------
  document.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail.elt;
    if (!elt.hasAttribute || !elt.hasAttribute("data-poll")) return;
    var busy = document.hidden ||
      elt.querySelector('input[type="checkbox"]:checked') ||
      (document.activeElement && elt.contains(document.activeElement) && typing(document.activeElement));
    if (busy) event.preventDefault();
  });

  // --- presence: the heartbeat says whether the reply box has text ------------------------------
  function replyBox() { return document.getElementById("reply-body"); }
  function writing() { var box = replyBox(); return !!(box && box.value.trim()); }
  var wasWriting = false;
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt.id === "presence") {
      event.detail.parameters.writing = writing() ? "1" : "0";
    }
  });
  document.addEventListener("input", function (event) {
    if (event.target !== replyBox()) return;
    var now = writing();
    if (now !== wasWriting && window.htmx) {
      wasWriting = now;
      var el = document.getElementById("presence");
      if (el) window.htmx.trigger(el, "beat");
    }
  });
  window.addEventListener("pagehide", function () {
    var el = document.getElementById("presence");
    if (!el || !navigator.sendBeacon) return;
    try {
      var data = new FormData();
      data.append("leave", "1");
      data.append("csrfmiddlewaretoken", JSON.parse(el.getAttribute("hx-headers"))["X-CSRFToken"]);
      navigator.sendBeacon(el.getAttribute("hx-post"), data);
    } catch (e) { /* leaving anyway: the entry expires */ }
  });

  // --- keyboard shortcuts ------------------------------------------------------------------------
  var selected = null; // the reference of the list row chosen with j/k
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#case-list tbody tr[data-row]")); }
  function markSelected() {
    rows().forEach(function (row) {
      var on = row.getAttribute("data-row") === selected;
      row.classList.toggle("kb-selected", on);
      if (on) row.setAttribute("aria-current", "true"); else row.removeAttribute("aria-current");
    });
  }
  function move(step) {
    var all = rows();
    if (!all.length) return;
    var at = all.findIndex(function (row) { return row.getAttribute("data-row") === selected; });
    at = at < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, at + step));
    selected = all[at].getAttribute("data-row");
    markSelected();
    all[at].scrollIntoView({ block: "nearest" });
  }
  function selectedRow() {
    return rows().filter(function (row) { return row.getAttribute("data-row") === selected; })[0];
  }
  function click(selector) {
    var el = document.querySelector(selector);
    if (el) { el.click(); return true; }
    return false;
  }
  function focus(selector) {
    var el = document.querySelector(selector);
    if (el) { el.focus(); return true; }
    return false;
  }
  function listKey(key) {
    var row = selectedRow();
    var box = row && row.querySelector('input[type="checkbox"]');
    switch (key) {
      case "j": move(1); return true;
      case "k": move(-1); return true;
      case "Enter":
        if (!row) return false;
        window.location.href = row.querySelector("a.ref").href;
        return true;
      case "x":
        if (!box) return false;
        box.checked = !box.checked;
        return true;
      case "c":
        var ticked = document.querySelector('#case-list tbody input[type="checkbox"]:checked');
        if (!ticked && box) box.checked = true;
        return click('#case-list button[name="action"][value="claim"]');
      case "n": return click('[data-shortcut="next-case"]');
      case "/": return focus('[data-shortcut="search"]') || focus("#id_q");
    }
    return false;
  }
  function workspaceKey(key) {
    var form = replyBox() && replyBox().form;
    switch (key) {
      case "r":
      case "n":
        if (!form) return false;
        form.classList.toggle("note-mode", key === "n");
        form.setAttribute("data-kind", key === "n" ? "note" : "reply");
        replyBox().focus();
        return true;
      case "s": return focus("#status-to");
    }
    return false;
  }
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    var help = document.getElementById("shortcuts");
    if (!help) return;
    if (event.key === "Escape" && typing(event.target)) { event.target.blur(); return; }
    if (typing(event.target)) return;
    if (event.key === "?") {
      if (help.open) help.close(); else help.showModal();
      event.preventDefault();
      return;
    }
    if (help.open) return;
    var tag = event.target.tagName ? event.target.tagName.toLowerCase() : "";
    if (event.key === "Enter" && (tag === "a" || tag === "button" || tag === "summary")) return;
    var screen = help.getAttribute("data-screen");
    var done = screen === "list" ? listKey(event.key) : workspaceKey(event.key);
    if (done) event.preventDefault();
  });
  document.addEventListener("DOMContentLoaded", function () { foldLongTexts(); });
  // --- the timeline's older entries: once appended, the first of them takes the focus, so that a
  // keyboard or screen-reader user reads on from where the "Older entries" link was ------------
  function focusLoaded() {
    var first = document.querySelector("[data-focus-on-load]");
    if (!first) return;
    first.removeAttribute("data-focus-on-load");
    first.focus();
  }
  document.addEventListener("htmx:afterSettle", function () {
    foldLongTexts();
    focusLoaded();
    markSelected();
    wasWriting = writing();
  });
})();
