// 续费管理: the amount comes from htmx when 续费时长 changes. Without JavaScript the page marks the amount out of
// date by CSS alone when a term it was not computed for is chosen (class "unpreviewed" on those options; the
// rules of form.change-form in static/app.css). With htmx the form is "live": the amount follows each change, so
// the marker is off; after each new amount the options it was not computed for are marked again, and when a
// request fails the form stops being live, so the old amount shows as out of date instead of passing for the new.
(function () {
  "use strict";

  function mark(form, months) {
    form.querySelectorAll("select[name=months] option").forEach(function (option) {
      option.classList.toggle("unpreviewed", months === null || option.value !== months);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.htmx) return;
    document.querySelectorAll("form.change-form").forEach(function (form) { form.classList.add("live"); });
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "preview") return;
    var form = target.closest("form.change-form");
    if (!form) return;
    var shown = target.querySelector("[data-previewed-months]");
    mark(form, shown ? shown.getAttribute("data-previewed-months") : null);
    form.classList.add("live");
  });

  ["htmx:responseError", "htmx:sendError", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var elt = event.detail.elt;
      var form = elt && elt.closest && elt.closest("form.change-form");
      if (form) form.classList.remove("live");
    });
  });
})();
