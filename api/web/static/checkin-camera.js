// The phone's camera reading QR codes (jsQR, served from /static/vendor), for the check-in
// pages: window.credbankCamera(onText) opens the camera and calls onText(text) for every
// code it reads until onText returns true (then the camera stops).
(function () {
  "use strict";
  var camera = document.getElementById("camera");
  var view = document.getElementById("camera-view");
  var stop = document.getElementById("camera-stop");
  var media = navigator.mediaDevices;
  if (!camera || !view || !media || !media.getUserMedia || typeof window.jsQR !== "function") {
    return;
  }
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var stream = null;

  function finish() {
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
    }
    stream = null;
    view.srcObject = null;
    camera.hidden = true;
  }

  function look(onText) {
    if (!stream) {
      return;
    }
    if (view.readyState >= view.HAVE_ENOUGH_DATA && view.videoWidth) {
      canvas.width = view.videoWidth;
      canvas.height = view.videoHeight;
      context.drawImage(view, 0, 0, canvas.width, canvas.height);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var code = window.jsQR(image.data, image.width, image.height,
                             { inversionAttempts: "dontInvert" });
      if (code && code.data && onText(code.data.trim())) {
        finish();
        return;
      }
    }
    window.requestAnimationFrame(function () { look(onText); });
  }

  window.credbankCamera = function (onText) {
    return media.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (opened) {
        stream = opened;
        view.srcObject = opened;
        camera.hidden = false;
        return view.play();
      })
      .then(function () { window.requestAnimationFrame(function () { look(onText); }); })
      .catch(function (error) {
        finish();
        throw error;
      });
  };
  if (stop) {
    stop.addEventListener("click", finish);
  }
})();
