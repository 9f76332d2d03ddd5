// The e-card: count down the seconds shown, then ask for a fresh member code and draw it.
// A code is single use and short-lived, so the page never shows one for long.
(function () {
  "use strict";
  var card = document.getElementById("ecard");
  if (!card) return;
  var qr = document.getElementById("qr"), digits = document.getElementById("digits"),
      seconds = document.getElementById("seconds");
  var left = parseInt(card.getAttribute("data-refresh-in") || "5", 10);

  function show(data) {
    if (!qr) { location.reload(); return; }  // the page opened rate-limited: draw it anew
    qr.src = data.qr;
    digits.textContent = data.grouped;
    digits.className = "digits";
    left = data.refresh_in;
    card.setAttribute("data-code", data.code);
  }

  function refresh() {
    left = -1;  // no second request while this one is on its way
    fetch(card.getAttribute("data-code-url"), {credentials: "same-origin", cache: "no-store"})
      .then(function (response) {
        if (response.status === 401) { location.reload(); return null; }  // session over: OAuth again
        if (!response.ok) {
          left = parseInt(response.headers.get("Retry-After") || "10", 10);
          return null;
        }
        return response.json();
      })
      .then(function (data) { if (data) show(data); })
      .catch(function () { left = 5; });  // offline for a moment: try again soon
  }

  setInterval(function () {
    if (left < 0) return;
    left -= 1;
    seconds.textContent = Math.max(left, 0);
    if (left <= 0) refresh();
  }, 1000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") refresh();  // back from another app: a fresh code
  });
  document.body.setAttribute("data-ready", "1");
})();
