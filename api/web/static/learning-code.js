// A rotating code on screen (the learner's code, or an activity's on the venue's display):
// fetch a fresh one before the shown one expires. Without this script the page shows one
// code; reloading the page shows the next.
(function () {
  "use strict";
  var box = document.getElementById("code");
  var image = document.getElementById("code-qr");
  var until = document.getElementById("code-expires");
  if (!box || !image || !window.fetch) {
    return;
  }
  var seconds = Number(box.dataset.seconds) || 60;
  // a fresh code at two thirds of the lifetime: the one on screen always has time left
  var every = Math.max(3, Math.floor(seconds * 2 / 3)) * 1000;

  function refresh() {
    window.fetch(box.dataset.source, { credentials: "same-origin", cache: "no-store" })
      .then(function (answer) {
        if (!answer.ok) {
          throw new Error(String(answer.status));
        }
        return answer.json();
      })
      .then(function (fresh) {
        image.src = fresh.qr;
        box.dataset.expiresAt = fresh.expiresAt;
        if (until) {
          until.textContent = new Date(fresh.expiresAt).toLocaleTimeString();
        }
        box.classList.remove("stale");
      })
      .catch(function () {
        box.classList.add("stale");  // offline: the shown code will expire; try again
      });
  }
  refresh();
  window.setInterval(refresh, every);
})();
