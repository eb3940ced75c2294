// ckisa secure messaging: live updates, as progressive enhancement only.
// Without this script every page shows what it was loaded with.
// Listens to the server-sent events of the URL in #messagerie's data-flux.
// Each "messagerie" event carries one entry of the messaging log as JSON:
// its number (seq, also the event id), its type, and the HTML the server
// rendered for this reader (always escaped server-side; inserted as is).
// Numbers only grow: an entry whose number was already seen is ignored, so
// a reconnection (the browser resends the last id it got) never shows
// anything twice. On a channel page, new messages of the channel are
// appended and the channel is marked read while the page is visible; on a
// thread page, the thread's replies are; a changed message replaces its old
// rendering wherever it shows; broadcast tallies and recall counts replace
// their blocks; the unread count, the broadcast strip and, for a unit
// manager, the strip of broadcasts escalated to her follow.
(function () {
  'use strict';
  var box = document.getElementById('messagerie');
  if (!box || !window.EventSource || !window.JSON) {
    return;
  }
  var url = box.getAttribute('data-flux');
  var last = parseInt(box.getAttribute('data-seq') || '0', 10) || 0;
  var channel = box.getAttribute('data-canal');
  var root = box.getAttribute('data-racine');
  var readUrl = box.getAttribute('data-lu');
  var csrf = box.getAttribute('data-csrf');
  var status = document.getElementById('messagerie-etat');
  var pendingRead = 0;
  var readTimer = null;

  function show(live) {
    if (!status) {
      return;
    }
    status.textContent = box.getAttribute(live ? 'data-live' : 'data-lost');
    status.classList.toggle('live', live);
    status.classList.toggle('lost', !live);
  }

  function fragment(html) {
    var template = document.createElement('template');
    template.innerHTML = html;
    return template.content;
  }

  function markRead(seq) {
    if (!readUrl || !csrf) {
      return;
    }
    pendingRead = Math.max(pendingRead, seq);
    if (readTimer || document.hidden) {
      return;
    }
    readTimer = window.setTimeout(function () {
      readTimer = null;
      var body = 'csrf=' + encodeURIComponent(csrf) + '&seq=' + pendingRead;
      window.fetch(readUrl, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: body
      }).catch(function () {});
    }, 1500);
  }

  function counts(entry) {
    var nav = document.getElementById('nav-messagerie');
    if (nav) {
      var label = nav.getAttribute('data-label');
      nav.textContent = entry.non_lus > 0 ? label + ' (' + entry.non_lus + ')' : label;
    }
    var holder = document.getElementById('banner');
    if (!holder) {
      return;
    }
    // The escalation line stays under the acknowledgement line.
    var escalated = holder.querySelector('.escalation-strip');
    follow(holder, holder.querySelector('.broadcast-strip'), 'broadcast-strip', 'alert',
      entry.a_accuser, box.getAttribute('data-ack'), escalated);
    follow(holder, escalated, 'escalation-strip', 'status', entry.escalades || 0,
      holder.getAttribute('data-escalades'), null);
  }

  // Shows `count` in the strip of class `name` (made before `before`, or
  // last, when missing), or removes the strip at zero.
  function follow(holder, strip, name, role, count, label, before) {
    if (count > 0) {
      if (!label) {
        return;
      }
      if (!strip) {
        strip = document.createElement('p');
        strip.className = name;
        strip.setAttribute('role', role);
        var link = document.createElement('a');
        link.href = '/messagerie/diffusions';
        strip.appendChild(link);
        holder.insertBefore(strip, before);
      }
      strip.firstChild.textContent = label.replace('{n}', count);
    } else if (strip) {
      holder.removeChild(strip);
    }
  }

  function place(entry) {
    var list = document.getElementById('fil');
    var inThisChannel = channel && entry.canal === channel;
    if (entry.type === 'message') {
      var belongs = root ? entry.racine === root : inThisChannel && !entry.racine;
      if (belongs && list && !document.getElementById('m-' + entry.id)) {
        var empty = document.getElementById('fil-vide');
        if (empty) {
          empty.parentNode.removeChild(empty);
        }
        list.appendChild(fragment(entry.html));
      }
      if (inThisChannel) {
        markRead(entry.seq);
      }
      if (!inThisChannel) {
        var badge = document.querySelector('[data-canal-lien="' + entry.canal + '"] .badge');
        if (badge) {
          badge.textContent = String((parseInt(badge.textContent, 10) || 0) + 1);
        }
      }
    } else if (entry.type === 'maj') {
      var old = document.getElementById('m-' + entry.id);
      if (old) {
        var fresh = fragment(entry.html).firstElementChild;
        if (fresh) {
          if (root && old.getAttribute('data-seq') && !entry.racine && entry.id === root) {
            // The thread's first message keeps its thread-page rendering.
            fresh.querySelectorAll('.msg-actions').forEach(function (n) { n.remove(); });
          }
          old.parentNode.replaceChild(fresh, old);
        }
      }
    } else if (entry.type === 'decompte') {
      var tally = document.querySelector('#decompte[data-diffusion="' + entry.id + '"]');
      if (tally) {
        tally.innerHTML = entry.html;
      }
    } else if (entry.type === 'rappel') {
      var recall = document.querySelector('#rappel-comptes[data-rappel="' + entry.id + '"]');
      if (recall) {
        recall.innerHTML = entry.html;
      }
    } else if (entry.type === 'diffusion') {
      var inbox = document.getElementById('diffusions-recues');
      if (inbox && !document.getElementById('d-' + entry.id)) {
        inbox.insertBefore(fragment(entry.html), inbox.firstChild);
      }
    }
  }

  function connect() {
    var source = new EventSource(url + (url.indexOf('?') < 0 ? '?' : '&') + 'depuis=' + last);
    source.addEventListener('messagerie', function (event) {
      var entry;
      try {
        entry = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (typeof entry.seq !== 'number' || entry.seq <= last) {
        return;
      }
      last = entry.seq;
      box.setAttribute('data-seq', String(last));
      place(entry);
      counts(entry);
      show(true);
    });
    source.addEventListener('open', function () {
      show(true);
    });
    source.addEventListener('error', function () {
      show(false);
      // The browser retries by itself (sending the last id it got) unless
      // the answer was not a stream: then start again from our own number.
      if (source.readyState === EventSource.CLOSED) {
        window.setTimeout(connect, 3000);
      }
    });
  }

  document.addEventListener('visibilitychange', function () {
    if (!document.hidden && pendingRead) {
      markRead(pendingRead);
    }
  });
  connect();
})();
