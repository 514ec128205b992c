// 购买工单增购包: the amount follows 增购包个数 as it is typed (htmx swaps the preview alone). Without JavaScript the
// whole page comes back and marks the field itself. With htmx, an invalid count in the new preview
// ([data-count-error]) marks the field invalid the same way (aria-invalid, the message linked by
// aria-describedby, the field's error style), and a valid one clears it, so what the field says never lags
// behind what the preview says. Nothing is disabled: the buttons always send the form to the server, which answers.
(function () {
  "use strict";

  var LIVE_ERROR = "count-live-error";
  var SERVER_ERROR = "count-error";

  function describedBy(input, add, remove) {
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (id) {
      return id && remove.indexOf(id) < 0 && id !== add;
    });
    if (add) ids.push(add);
    if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
    else input.removeAttribute("aria-describedby");
  }

  function mark(preview) {
    var input = document.getElementById("count");
    if (!input) return;
    var field = input.closest(".field");
    var serverError = document.getElementById(SERVER_ERROR);
    var invalid = preview.querySelector("[data-count-error]");
    if (invalid) {
      input.setAttribute("aria-invalid", "true");
      if (field) field.classList.add("field-error");
      if (serverError) serverError.hidden = true; // the preview's message is the current one
      describedBy(input, LIVE_ERROR, [SERVER_ERROR]);
    } else {
      input.removeAttribute("aria-invalid");
      if (field) field.classList.remove("field-error");
      if (serverError) serverError.hidden = true;
      describedBy(input, null, [SERVER_ERROR, LIVE_ERROR]);
    }
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "preview" && target.closest("form.pack-form")) mark(target);
  });
})();
