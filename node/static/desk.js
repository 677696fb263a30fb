// The front desk's camera scanner (README "The front desk"). No build step, no framework.
// With a camera, frames are read with the browser's BarcodeDetector where it exists, otherwise
// with the vendored jsQR; a QR code found fills the pass field and sends the form. Without a
// camera (or JavaScript) the form works as it is: a keyboard-wedge scanner types into the
// autofocused field, or a photo is uploaded and decoded on the server.
(function () {
  "use strict";
  var form = document.getElementById("desk-form");
  var field = document.getElementById("token");
  var start = document.getElementById("start-camera");
  var box = document.getElementById("scanner");
  var video = document.getElementById("camera");
  var state = document.getElementById("scanner-state");
  if (!form || !field || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return;
  }
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var detector = null;
  var sent = false;

  function found(text) {
    if (sent || !text) { return; }
    sent = true;
    field.value = text.trim();
    state.textContent = "Pass read: checking…";
    form.submit();
  }

  function readFrame() {
    if (sent || video.readyState < 2) { return Promise.resolve(); }
    if (detector) {
      return detector.detect(video).then(function (codes) {
        if (codes.length) { found(codes[0].rawValue); }
      }).catch(function () { detector = null; });
    }
    if (typeof window.jsQR !== "function") { return Promise.resolve(); }
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    var image = context.getImageData(0, 0, canvas.width, canvas.height);
    var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    if (code) { found(code.data); }
    return Promise.resolve();
  }

  function loop() {
    readFrame().then(function () {
      if (!sent) { window.setTimeout(loop, 150); }
    });
  }

  function startCamera() {
    start.hidden = true;
    box.hidden = false;
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (stream) {
        video.srcObject = stream;
        return video.play();
      })
      .then(function () {
        if ("BarcodeDetector" in window) {
          try { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); } catch (e) { detector = null; }
        }
        loop();
      })
      .catch(function (error) {
        state.textContent = "No camera (" + error.name + "): use the scanner field or a photo.";
      });
  }

  start.hidden = false;
  start.addEventListener("click", startCamera);
  if (new URLSearchParams(window.location.search).get("camera") === "1") { startCamera(); }
})();
