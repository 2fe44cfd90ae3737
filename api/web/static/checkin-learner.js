// The learner scans the venue's code: the camera fills the form's code and sends it.
(function () {
  "use strict";
  var scan = document.getElementById("scan");
  var form = document.getElementById("scan-form");
  var field = document.getElementById("code");
  var note = document.getElementById("camera-note");
  if (!scan || !form || !field || typeof window.credbankCamera !== "function") {
    return;
  }
  scan.hidden = false;
  scan.addEventListener("click", function () {
    window.credbankCamera(function (text) {
      if (text.indexOf("V1.") !== 0) {
        note.textContent = note.dataset.notCode;
        return false;
      }
      field.value = text;
      form.submit();
      return true;
    }).catch(function () { window.alert(scan.dataset.noCamera); });
  });
})();
