// The verify page: drop a file onto the form, or scan a share link's QR code with the
// camera (jsQR, served from /static/vendor). The page works without this script.
(function () {
  "use strict";
  var drop = document.getElementById("drop");
  var file = document.getElementById("file");
  if (drop && file) {
    var over = function (event) {
      event.preventDefault();
      drop.classList.add("over");
    };
    var leave = function () { drop.classList.remove("over"); };
    drop.addEventListener("dragenter", over);
    drop.addEventListener("dragover", over);
    drop.addEventListener("dragleave", leave);
    drop.addEventListener("drop", function (event) {
      event.preventDefault();
      leave();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        file.files = event.dataTransfer.files;
        drop.classList.add("chosen");
      }
    });
    file.addEventListener("change", function () {
      drop.classList.toggle("chosen", file.files.length > 0);
    });
  }

  var scan = document.getElementById("scan");
  var link = document.getElementById("link");
  var camera = document.getElementById("camera");
  var view = document.getElementById("camera-view");
  var note = document.getElementById("camera-note");
  var stop = document.getElementById("camera-stop");
  var media = navigator.mediaDevices;
  if (!scan || !link || !camera || !view || !media || !media.getUserMedia ||
      typeof window.jsQR !== "function") {
    return;
  }
  scan.hidden = false;
  var shareLink = /\/s\/[A-Za-z0-9_-]{20,128}\/?$/;
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

  function look() {
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
      if (code && code.data) {
        var text = code.data.trim();
        if (shareLink.test(text.split(/[?#]/)[0])) {
          link.value = text;
          finish();
          link.focus();
          return;
        }
        note.textContent = scan.dataset.notLink;
      }
    }
    window.requestAnimationFrame(look);
  }

  scan.addEventListener("click", function () {
    media.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (opened) {
        stream = opened;
        view.srcObject = opened;
        camera.hidden = false;
        return view.play();
      })
      .then(function () { window.requestAnimationFrame(look); })
      .catch(function () {
        finish();
        window.alert(scan.dataset.noCamera);
      });
  });
  stop.addEventListener("click", finish);
})();
