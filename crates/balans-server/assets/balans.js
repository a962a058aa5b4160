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

  // After a gesture is saved the form comes back fresh: go on with the receiver.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail || !event.detail.elt || event.detail.elt.id !== "record-form") return;
    var saved = event.detail.elt.querySelector("#record-result");
    var field = document.getElementById(saved ? "receiver" : "giver");
    var invalid = event.detail.elt.querySelector('[aria-invalid="true"]');
    (invalid || field || event.detail.elt).focus();
  });

  // Upload progress for the import form.
  document.addEventListener("htmx:xhr:progress", function (event) {
    var bar = document.getElementById("import-progress");
    if (bar && event.detail && event.detail.lengthComputable) {
      bar.value = Math.round(event.detail.loaded / event.detail.total * 100);
    }
  });
})();
