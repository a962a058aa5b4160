// Balans: keyboard shortcuts and small helpers for the gesture form. Pages work
// without this file; it only saves keystrokes.
(function () {
  "use strict";

  function typing(target) {
    return target && (target.isContentEditable ||
      /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  // N opens the gesture form from any page and puts the cursor in "giver".
  document.addEventListener("keydown", function (event) {
    if (event.key !== "n" && event.key !== "N") return;
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var panel = document.getElementById("record");
    var giver = document.getElementById("giver");
    if (!giver) return;
    if (panel && panel.tagName === "DETAILS") panel.open = true;
    event.preventDefault();
    giver.focus();
  });

  // "/" puts the cursor in the search box of every page.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/") return;
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var search = document.getElementById("site-search");
    if (!search) return;
    event.preventDefault();
    search.focus();
    search.select();
  });

  // In the kind field, a digit 1-9 on its own picks that shortcut's kind.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!target || target.id !== "kind" || target.value !== "") return;
    if (!/^[1-9]$/.test(event.key)) return;
    var chip = document.querySelector('.chip[data-shortcut="' + event.key + '"]');
    if (!chip) return;
    event.preventDefault();
    target.value = chip.getAttribute("data-kind");
  });

  // A click on a kind chip fills the kind field and moves on to the amount.
  document.addEventListener("click", function (event) {
    var chip = event.target.closest && event.target.closest(".chip[data-kind]");
    if (!chip) return;
    var kind = document.getElementById("kind");
    if (!kind) return;
    kind.value = chip.getAttribute("data-kind");
    var amount = document.getElementById("amount");
    (amount || kind).focus();
  });

  // After a gesture is saved the form comes back with the giver and the kind
  // kept: go on with the receiver. After an error, go to the first wrong field.
  // (The swap replaced the old form: look for the new one.)
  document.addEventListener("htmx:afterSettle", function (event) {
    var detail = event.detail || {};
    var path = (detail.pathInfo && detail.pathInfo.requestPath) ||
      (detail.requestConfig && detail.requestConfig.path);
    if (path !== "/gestures") return;
    var form = document.getElementById("record-form");
    if (!form || !form.contains(document.activeElement) && document.activeElement !== document.body) return;
    var invalid = form.querySelector('[aria-invalid="true"]');
    var saved = form.querySelector("#record-result");
    var field = invalid || document.getElementById(saved ? "receiver" : "giver");
    if (field) field.focus();
    var undo = document.getElementById("undo");
    if (undo) {
      var seconds = parseInt(undo.getAttribute("data-undo-seconds"), 10) || 30;
      setTimeout(function () { if (undo.parentNode) undo.parentNode.removeChild(undo); }, seconds * 1000);
    }
  });

  // Escape closes the gesture form's panel and leaves the form.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var panel = document.getElementById("record");
    if (!panel || panel.tagName !== "DETAILS" || !panel.open) return;
    panel.open = false;
    var summary = panel.querySelector("summary");
    if (summary) summary.focus();
  });

  // Upload progress for the import form.
  document.addEventListener("htmx:xhr:progress", function (event) {
    var bar = document.getElementById("import-progress");
    if (bar && event.detail && event.detail.lengthComputable) {
      // Sent whole: the server checks the files now, for as long as it takes.
      if (event.detail.loaded >= event.detail.total) bar.removeAttribute("value");
      else bar.value = Math.round(event.detail.loaded / event.detail.total * 100);
    }
  });
})();
