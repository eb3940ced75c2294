// ckisa live refresh: progressive enhancement only; every page works without it.
// Listens to /evenements (the store generation number) and, when it changes,
// re-fetches the current page with "X-Partial: 1" and swaps the freshness bar
// and <main>. Also refreshes every 15 s so the freshness bar ages on screen.
(function () {
  'use strict';
  if (!window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  var main = document.getElementById('main');
  if (!main || !document.getElementById('fresh')) {
    return;
  }
  var offline = document.getElementById('offline');
  var busy = false;
  var again = false;
  var last = null;

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, 'text/html');
    ['banner', 'fresh', 'main'].forEach(function (id) {
      var next = doc.getElementById(id);
      var current = document.getElementById(id);
      if (next && current) {
        current.replaceWith(document.importNode(next, true));
      }
    });
  }

  function setOffline(lost) {
    if (offline) {
      offline.hidden = !lost;
    }
  }

  function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    fetch(window.location.href, {
      headers: { 'X-Partial': '1' },
      credentials: 'same-origin',
      cache: 'no-store'
    })
      .then(function (response) {
        // The session ended (timeout, logout elsewhere, locked terminal):
        // the server redirected to another page; go there instead of
        // swapping it into this one.
        if (response.redirected) {
          window.location.assign(response.url);
          throw new Error('session ended');
        }
        if (!response.ok) {
          throw new Error('HTTP ' + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        swap(html);
        setOffline(false);
      })
      .catch(function () {
        setOffline(true);
      })
      .then(function () {
        busy = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  var source = new EventSource('/evenements');
  source.addEventListener('generation', function (event) {
    setOffline(false);
    if (last !== null && event.data !== last) {
      refresh();
    }
    last = event.data;
  });
  source.addEventListener('error', function () {
    setOffline(source.readyState !== EventSource.OPEN);
  });
  window.setInterval(refresh, 15000);
})();
