// The operator's scanning page. Every scan (the camera reading a learner's code or card,
// or a card typed in) is time-stamped and signed on this device with its key (HMAC-SHA256,
// WebCrypto), put in a queue kept in the browser's storage, and the queue is sent as a
// batch: at once when online, else when the connection comes back. The service answers
// each scan: accepted, or refused with its reason; answered scans leave the queue.
(function () {
  "use strict";
  var box = document.getElementById("scanner");
  if (!box || !window.crypto || !window.crypto.subtle || !window.fetch) {
    return;
  }
  var QUEUE = "credbank-scan-queue:" + box.dataset.venue;
  var activity = document.getElementById("activity");
  var results = document.getElementById("results");
  var count = document.getElementById("queue-count");
  var note = document.getElementById("camera-note");
  var encoder = new TextEncoder();
  var seen = {};  // codes read by the camera on this page: each is sent once
  var sending = false;
  var keyPromise = window.crypto.subtle.importKey(
    "raw", Uint8Array.from(window.atob(box.dataset.deviceKey), function (c) {
      return c.charCodeAt(0);
    }), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);

  function queue() {
    try {
      return JSON.parse(window.localStorage.getItem(QUEUE) || "[]");
    } catch (error) {
      return [];
    }
  }

  function keep(scans) {
    window.localStorage.setItem(QUEUE, JSON.stringify(scans));
    count.textContent = String(scans.length);
  }

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function show(text, accepted) {
    var item = document.createElement("li");
    item.textContent = text;
    item.className = accepted ? "accepted" : "refused";
    item.dataset.result = accepted ? "accepted" : "refused";
    results.insertBefore(item, results.firstChild);
  }

  function action() {
    var chosen = box.querySelector("input[name=action]:checked");
    return chosen ? chosen.value : "in";
  }

  // docs/learningcode.md, "Offline queue": the signed message, one field a line
  function sign(scan) {
    var message = ["credbank-scan-v1", scan.deviceId, scan.activity, scan.action,
                   String(scan.scannedAt), scan.code].join("\n");
    return keyPromise.then(function (key) {
      return window.crypto.subtle.sign("HMAC", key, encoder.encode(message));
    }).then(function (mac) {
      scan.signature = hex(mac);
      return scan;
    });
  }

  function record(code) {
    var scan = { activity: activity.value, code: code, action: action(),
                 scannedAt: Date.now(), deviceId: box.dataset.device };
    return sign(scan).then(function (signed) {
      var scans = queue();
      scans.push(signed);
      keep(scans);
      if (!navigator.onLine) {
        show(box.dataset.queued, true);
      }
      return send();
    });
  }

  function send() {
    var scans = queue();
    if (sending || !scans.length || !navigator.onLine) {
      return Promise.resolve();
    }
    sending = true;
    var batch = scans.slice(0, 500);
    return window.fetch("/venue/scans", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": box.dataset.csrf },
      body: JSON.stringify({ scans: batch })
    }).then(function (answer) {
      if (!answer.ok) {
        throw new Error(String(answer.status));
      }
      return answer.json();
    }).then(function (body) {
      body.results.forEach(function (result) {
        var title = result.accepted ? box.dataset.accepted + ": " + result.title
          : box.dataset.refused + ": " + result.refused;
        show(title, result.accepted);
      });
      // answered scans leave the queue; scans queued meanwhile stay
      keep(queue().slice(batch.length));
    }).catch(function () {
      show(box.dataset.queued, true);  // unreachable: kept, sent later
    }).then(function () { sending = false; });
  }

  keep(queue());
  window.addEventListener("online", send);
  window.setInterval(send, 15000);
  document.getElementById("flush").addEventListener("click", send);
  document.getElementById("typed").addEventListener("submit", function (event) {
    event.preventDefault();
    var field = document.getElementById("typed-code");
    if (field.value.trim()) {
      record(field.value.trim());
      field.value = "";
    }
  });
  var scan = document.getElementById("scan");
  scan.addEventListener("click", function () {
    if (typeof window.credbankCamera !== "function") {
      window.alert(box.dataset.noCamera);
      return;
    }
    window.credbankCamera(function (text) {
      if (text.indexOf("L1.") !== 0 && text.indexOf("C1.") !== 0) {
        note.textContent = note.dataset.notCode;
        return false;
      }
      if (!seen[text]) {
        seen[text] = true;
        record(text);
      }
      return false;  // keep scanning: the next learner steps up
    }).catch(function () { window.alert(box.dataset.noCamera); });
  });
  send();
})();
