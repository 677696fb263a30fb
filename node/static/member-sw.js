// Service worker of the member pages (/m/…): network first, so a member online always sees
// their current passes; the last good copy of each page is kept and shown offline.
"use strict";
var CACHE = "spazi-member-v1";

self.addEventListener("install", function (event) {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  var ours = url.origin === self.location.origin &&
    (url.pathname.indexOf("/m/") === 0 || url.pathname.indexOf("/static/") === 0);
  if (!ours) { return; }
  event.respondWith(
    fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(request).then(function (cached) {
        return cached || new Response("Offline, and this page was never opened here.", {
          status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" }
        });
      });
    })
  );
});
