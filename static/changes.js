// The purchase and change pages (更改): the live preview comes from htmx. Without JavaScript the page marks the
// preview out of date by CSS alone when a level or term it was not computed for is chosen (class "unpreviewed" on
// those inputs, static/app.css). With htmx the form is "live": the preview follows each change, so the marker is
// off; after each new preview the inputs it was not computed for are marked again, and if a preview request fails
// the form stops being live, so the old amount is marked out of date instead of passing for the new choice.
(function () {
  "use strict";

  function forms() {
    return document.querySelectorAll("form.change-form");
  }

  function mark(form, level, months) {
    form.querySelectorAll("input[name=level]").forEach(function (input) {
      input.classList.toggle("unpreviewed", level !== null && input.value !== level);
    });
    form.querySelectorAll("select[name=months] option").forEach(function (option) {
      option.classList.toggle("unpreviewed", months !== null && option.value !== months);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.htmx) return;
    forms().forEach(function (form) { form.classList.add("live"); });
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "preview") return;
    var form = target.closest("form.change-form");
    if (!form) return;
    var shown = target.querySelector("[data-previewed-level]");
    if (shown) {
      mark(form, shown.getAttribute("data-previewed-level"), shown.getAttribute("data-previewed-months"));
    } else {
      mark(form, null, null); // no amount is shown: nothing to be out of date
    }
    form.classList.add("live");
  });

  ["htmx:responseError", "htmx:sendError", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var form = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("form.change-form");
      if (form) form.classList.remove("live");
    });
  });
})();
