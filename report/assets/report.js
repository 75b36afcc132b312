(function () {
  'use strict';
  var table = document.getElementById('findings');
  if (!table) { return; }
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.rows);
  var text = rows.map(function (r) {
    var s = '';
    for (var i = 0; i < r.cells.length - 1; i++) { s += r.cells[i].textContent + ' '; }
    return s.toLowerCase();
  });
  var query = document.getElementById('filter');
  var status = document.getElementById('status-filter');
  var shown = document.getElementById('shown');
  function apply() {
    var q = query.value.trim().toLowerCase();
    var s = status.value;
    var n = 0;
    rows.forEach(function (r, i) {
      var ok = (s === '' || r.getAttribute('data-status') === s ||
                (s === 'attention' && r.getAttribute('data-attention') === 'true')) &&
               (q === '' || text[i].indexOf(q) >= 0);
      r.hidden = !ok;
      if (ok) { n++; }
    });
    shown.textContent = String(n);
  }
  query.addEventListener('input', apply);
  status.addEventListener('change', apply);
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, col) {
    var kind = th.getAttribute('data-sort');
    if (!kind) { return; }
    th.tabIndex = 0;
    function sort() {
      var asc = th.getAttribute('aria-sort') !== 'ascending';
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
      var order = rows.map(function (r, i) { return i; });
      function key(i) {
        var c = rows[i].cells[col];
        return c.getAttribute('data-key') || c.textContent;
      }
      order.sort(function (a, b) {
        var x = key(a), y = key(b);
        var c = kind === 'num' ? Number(x) - Number(y) : x.localeCompare(y);
        if (c === 0) { c = a - b; } else if (!asc) { c = -c; }
        return c;
      });
      rows = order.map(function (i) { return rows[i]; });
      text = order.map(function (i) { return text[i]; });
      var frag = document.createDocumentFragment();
      rows.forEach(function (r) { frag.appendChild(r); });
      tbody.appendChild(frag);
    }
    th.addEventListener('click', sort);
    th.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); }
    });
  });
  apply();
}());
