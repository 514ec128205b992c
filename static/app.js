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

  // A form being sent: its submit buttons are disabled (one click, one request) once the browser has taken the
  // form's data (a disabled submitter would drop its name); they come back when the page is shown again
  // (the Back button) or if nothing answered.
  function wireSubmitGuards() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (event.defaultPrevented) return; // htmx (or the confirm dialog) handles this one itself
      window.setTimeout(function () {
        form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (button) {
          button.disabled = true;
          button.setAttribute("data-sending", "");
        });
        window.setTimeout(function () { release(form); }, 15000);
      }, 0);
    });
    window.addEventListener("pageshow", function () { document.querySelectorAll("form").forEach(release); });
  }

  function release(form) {
    form.querySelectorAll("button[data-sending]").forEach(function (button) {
      button.disabled = false;
      button.removeAttribute("data-sending");
    });
  }

  // While htmx fetches a preview, its target says it is busy (styled as a spinner; aria-busy for screen readers).
  function wireBusy() {
    document.addEventListener("htmx:beforeRequest", function (event) {
      var target = event.detail.target;
      if (target) target.setAttribute("aria-busy", "true");
    });
    document.addEventListener("htmx:afterRequest", function (event) {
      var target = event.detail.target;
      if (target) target.removeAttribute("aria-busy");
    });
  }

  // A choice made before the page's scripts ran (a quick hand, a slow network, or the browser restoring a form
  // on Back) sent no change event: htmx was not listening yet. Ask for those previews now, so that the amount
  // shown is never one for the choice the page was served with.
  function isChanged(field) {
    if (field.type === "hidden" || field.disabled) return false;
    if (field.tagName === "SELECT") {
      var options = Array.prototype.slice.call(field.options);
      var defaults = options.some(function (o) { return o.defaultSelected; });
      return options.some(function (o, i) { return o.selected !== (defaults ? o.defaultSelected : i === 0); });
    }
    if (field.type === "checkbox" || field.type === "radio") return field.checked !== field.defaultChecked;
    return field.value !== field.defaultValue;
  }

  function refreshEarlyChoices() {
    if (!window.htmx) return;
    document.querySelectorAll("[hx-get][hx-trigger*=change]").forEach(function (source) {
      var fields = source.matches("input, select, textarea") ? [source] : source.querySelectorAll("input, select, textarea");
      if (Array.prototype.some.call(fields, isChanged)) window.htmx.trigger(source, "change");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    refreshEarlyChoices();
    wireSubmitGuards();
    wireBusy();
    wireMenus();
    focusErrorSummary(document);
    wireConfirmDialogs();
  });
  document.addEventListener("htmx:afterSwap", function (event) { focusErrorSummary(event.target); });
})();
