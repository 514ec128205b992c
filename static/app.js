// Small enhancements on top of pages that work without JavaScript.
(function () {
  "use strict";

  // An error summary takes focus so a screen reader announces it first.
  function focusErrorSummary(root) {
    var summary = (root || document).querySelector("[data-autofocus]");
    if (summary) summary.focus();
  }

  // A modal confirmation (<dialog>): the submit button marked data-confirm-dialog opens it instead of
  // leaving the page; focus moves into it, Esc closes it, and focus returns to the button.
  function wireConfirmDialogs() {
    document.querySelectorAll("[data-confirm-dialog]").forEach(function (button) {
      var dialog = document.getElementById(button.getAttribute("data-confirm-dialog"));
      if (!dialog || typeof dialog.showModal !== "function") return;
      var summary = dialog.querySelector("[data-summary]");
      var preview = button.form && button.form.querySelector("[role=status]");
      button.addEventListener("click", function (event) {
        event.preventDefault();
        // The dialog repeats what is being bought and the fee, as the no-JS 购买确认 page does.
        if (summary && preview) summary.textContent = preview.textContent.replace(/\s+/g, " ").trim();
        dialog.showModal();
        var first = dialog.querySelector("[autofocus], button, a[href], input");
        if (first) first.focus();
      });
      dialog.addEventListener("close", function () { button.focus(); });
      dialog.querySelectorAll("[data-close]").forEach(function (closer) {
        closer.addEventListener("click", function () { dialog.close(); });
      });
      var confirmButton = dialog.querySelector("[data-confirm]");
      if (confirmButton) {
        confirmButton.addEventListener("click", function (event) {
          // Confirming goes to the next step with the form's choices, as the no-JS page would.
          event.preventDefault();
          var params = new URLSearchParams(new FormData(button.form));
          window.location.assign(confirmButton.getAttribute("data-href") + "?" + params.toString());
        });
      }
    });
  }

  // Disclosure menus (<details class="menu">): Escape or a click elsewhere closes an open one.
  function wireMenus() {
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      document.querySelectorAll("details.menu[open]").forEach(function (menu) {
        menu.open = false;
        menu.querySelector("summary").focus();
      });
    });
    document.addEventListener("click", function (event) {
      document.querySelectorAll("details.menu[open]").forEach(function (menu) {
        if (!menu.contains(event.target)) menu.open = false;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    wireMenus();
    focusErrorSummary(document);
    wireConfirmDialogs();
  });
  document.addEventListener("htmx:afterSwap", function (event) { focusErrorSummary(event.target); });
})();
