// ckisa crisis dashboard: live updates, as progressive enhancement only.
// Without this script the page shows the snapshot it was loaded with.
// Listens to the server-sent events of the URL in #tableau's data-flux:
// each "tableau" event carries the whole dashboard fragment, rendered once
// on the server for every browser; it replaces the content of #tableau.
// The line #tableau-etat says whether updates arrive ("mise à jour en
// direct") or the connection is lost; its texts come from its data-live and
// data-lost attributes, so that they follow the page's language.
// The fragment also carries, in <template id="tableau-bandeau">, the crisis
// part of the layout's banner (or nothing outside a crisis): it takes the
// place of the .crisis-banner paragraph in #banner, which this page does
// not refresh otherwise; the person's own .alert-strip there is left alone.
// The unit codes of the rows become links to the unit's status report form
// when the page lists that unit in #points (the units this person may
// report for).
(function () {
  'use strict';
  var box = document.getElementById('tableau');
  if (!box || !window.EventSource) {
    return;
  }
  var url = box.getAttribute('data-flux');
  var status = document.getElementById('tableau-etat');
  var forms = {};
  document.querySelectorAll('#points a[data-unit]').forEach(function (link) {
    forms[link.getAttribute('data-unit')] = link.getAttribute('href');
  });

  function show(live) {
    if (!status) {
      return;
    }
    status.textContent = status.getAttribute(live ? 'data-live' : 'data-lost');
    status.classList.toggle('live', live);
    status.classList.toggle('lost', !live);
  }

  function linkUnits() {
    box.querySelectorAll('[data-unit-code]').forEach(function (cell) {
      var href = forms[cell.getAttribute('data-unit-code')];
      if (!href || cell.querySelector('a')) {
        return;
      }
      var link = document.createElement('a');
      link.href = href;
      link.textContent = cell.textContent;
      cell.textContent = '';
      cell.appendChild(link);
    });
  }

  function updateBanner() {
    var holder = document.getElementById('banner');
    var pushed = box.querySelector('#tableau-bandeau');
    if (!holder || !pushed || !pushed.content) {
      return;
    }
    var fresh = pushed.content.querySelector('.crisis-banner');
    var current = holder.querySelector('.crisis-banner');
    if (!fresh) {
      if (current) {
        holder.removeChild(current);
      }
      return;
    }
    if (current && current.outerHTML === fresh.outerHTML) {
      return;
    }
    fresh = document.importNode(fresh, true);
    if (current) {
      holder.replaceChild(fresh, current);
    } else {
      holder.insertBefore(fresh, holder.firstChild);
    }
  }

  function connect() {
    var source = new EventSource(url);
    source.addEventListener('tableau', function (event) {
      box.innerHTML = event.data;
      updateBanner();
      linkUnits();
      show(true);
    });
    source.addEventListener('open', function () {
      show(true);
    });
    source.addEventListener('error', function () {
      show(false);
      // The browser retries by itself unless the answer was not a stream
      // (session ended, server gone): then start again a little later.
      if (source.readyState === EventSource.CLOSED) {
        window.setTimeout(connect, 5000);
      }
    });
  }

  linkUnits();
  connect();
})();
