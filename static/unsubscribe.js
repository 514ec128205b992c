// 退订管理: the comment field is needed only for the reason 其他, so with JavaScript it stays hidden until
// 其他 is chosen (without JavaScript it is always shown, with a hint saying when it is required).
(function () {
  "use strict";

  function wire() {
    var box = document.querySelector("[data-other-comment]");
    if (!box) return;
    var other = document.querySelector('input[type="radio"][name="reason"][value="other"]');
    var textarea = box.querySelector("textarea");
    if (!other || !textarea) return;
    other.setAttribute("aria-controls", box.id);

    function update() {
      // Never hide a problem or something the person has typed.
      var show = other.checked || box.querySelector(".error-message") !== null || textarea.value.trim() !== "";
      box.hidden = !show;
    }

    document.querySelectorAll('input[type="radio"][name="reason"]').forEach(function (radio) {
      radio.addEventListener("change", update);
    });
    update();
  }

  document.addEventListener("DOMContentLoaded", wire);
})();
