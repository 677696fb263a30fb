// The member page as an installable web app: a service worker keeps the page and its passes
// for when there is no connection at the partner's door (README "The member's pass page").
(function () {
  "use strict";
  var printButton = document.getElementById("print");
  if (printButton) {
    printButton.addEventListener("click", function () { window.print(); });
  }
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/m/sw.js", { scope: "/m/" }).catch(function () {});
  }
})();
