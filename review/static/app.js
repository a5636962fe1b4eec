// edin review: keyboard shortcuts and reason bars. No inline scripts (the CSP forbids them).
(function () {
  "use strict";
  // event.key is the character the layout typed, so Д/Н/П/О work on a Russian layout and
  // Y/N/S/U on an English one; digits work on both.
  var KEYS = {
    "д": "same", "y": "same", "1": "same",
    "н": "different", "n": "different", "2": "different",
    "п": "skip", "s": "skip", "3": "skip",
    "о": "undo", "u": "undo", "0": "undo"
  };

  function button(action) {
    if (action === "undo") {
      return document.querySelector('[data-shortcut="undo"]') ||
        document.querySelector('[data-shortcut="undo-last"]');
    }
    return document.querySelector('[data-shortcut="' + action + '"]');
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey || event.repeat) return;
    var tag = (event.target && event.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
    var action = KEYS[(event.key || "").toLowerCase()];
    if (!action) return;
    var target = button(action);
    if (target && !target.disabled) {
      event.preventDefault();
      target.click();
    }
  });

  function bars(root) {
    var all = (root || document).querySelectorAll(".bar[data-w]");
    for (var i = 0; i < all.length; i++) all[i].style.width = all[i].getAttribute("data-w") + "px";
  }
  document.addEventListener("DOMContentLoaded", function () { bars(document); });
  document.addEventListener("htmx:afterSettle", function (e) { bars(e.target); });
})();
