// One tap, one post: a form's button is disabled once it is sent (the server is
// idempotent per request key anyway, this only spares the member a second wait).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var button = event.target.querySelector("button[type=submit]");
    if (button) setTimeout(function () { button.disabled = true; }, 0);
  });
  document.body.setAttribute("data-ready", "1");
})();
