/* Progressive enhancement only: every action works without this file (and without htmx). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // "Select every case on this page" in the case lists.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[data-select-all]")) return;
    var form = box.closest("form");
    if (!form) return;
    var name = box.getAttribute("data-select-all");
    form.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (item) {
      item.checked = box.checked;
    });
  });

  // Messages float in a corner (see app.css); each gets a button to dismiss it.
  function closeButtons() {
    var label = (document.documentElement.lang || "").indexOf("zh") === 0 ? "关闭" : "Dismiss";
    document.querySelectorAll("#messages .msg").forEach(function (msg) {
      if (msg.querySelector(".msg-close")) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "msg-close";
      button.setAttribute("aria-label", label);
      button.textContent = "×";
      button.addEventListener("click", function () { msg.remove(); });
      msg.appendChild(button);
    });
  }
  document.addEventListener("DOMContentLoaded", closeButtons);

  // After an htmx swap: put the keyboard focus on the first field with an error, if any.
  document.addEventListener("htmx:afterSettle", function () {
    closeButtons();
    var invalid = document.querySelector('[aria-invalid="true"]');
    if (invalid) invalid.focus();
  });
})();
