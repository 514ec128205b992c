// The payment pages' enhancements (确认付款 and 身份验证); both pages work without JavaScript.
(function () {
  "use strict";

  // 确认付款: with htmx the amounts follow the coupon at once, so the no-JS 使用优惠券 button is not needed.
  function hideNoJsButtons() {
    if (!window.htmx) return;
    document.querySelectorAll("[data-no-js]").forEach(function (box) {
      box.hidden = true;
      box.querySelectorAll("button").forEach(function (button) { button.disabled = true; });
    });
  }

  // 身份验证: 获取验证码 stays disabled until a new code may be requested. The seconds tick in an aria-hidden
  // element; the polite live region speaks twice only: when the wait starts and when it is over.
  function wireCountdown(box) {
    var seconds = parseInt(box.getAttribute("data-resend-in"), 10);
    var button = box.querySelector("button[type=submit]");
    var ticker = box.querySelector("[data-ticker]");
    var live = box.querySelector("[data-live]");
    var until = box.querySelector("[data-until]");
    if (!(seconds > 0) || !button || !ticker || !live) return;
    var deadline = Date.now() + seconds * 1000;
    var template = ticker.getAttribute("data-template");
    button.disabled = true;
    if (until) until.hidden = true; // the ticker says the same, to the second
    button.removeAttribute("aria-describedby");
    window.setTimeout(function () {
      live.textContent = live.getAttribute("data-start").replace("{s}", String(seconds));
    }, 200);

    function tick() {
      var left = Math.ceil((deadline - Date.now()) / 1000);
      if (left <= 0) {
        button.disabled = false;
        ticker.textContent = "";
        live.textContent = live.getAttribute("data-ready");
        return;
      }
      ticker.textContent = template.replace("{s}", String(left));
      window.setTimeout(tick, Math.min(1000, deadline - Date.now() - (left - 1) * 1000));
    }
    tick();
  }

  document.addEventListener("DOMContentLoaded", function () {
    hideNoJsButtons();
    document.querySelectorAll("[data-resend-in]").forEach(wireCountdown);
  });
})();
