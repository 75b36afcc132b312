// pgbaseline dashboard: the only script, served from /static/ under a
// Content-Security-Policy that allows no inline script. It filters tables
// as you type; every page works without it.
(function () {
  'use strict';
  function setup(input) {
    var table = document.getElementById(input.getAttribute('data-filter-table'));
    if (!table || !table.tBodies.length) { return; }
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var counter = document.getElementById('shown');
    input.addEventListener('input', function () {
      var q = input.value.trim().toLowerCase();
      var shown = 0;
      rows.forEach(function (row) {
        var match = q === '' || row.textContent.toLowerCase().indexOf(q) !== -1;
        row.hidden = !match;
        if (match) { shown++; }
      });
      if (counter) { counter.textContent = String(shown); }
    });
  }
  document.addEventListener('DOMContentLoaded', function () {
    Array.prototype.forEach.call(document.querySelectorAll('input[data-filter-table]'), setup);
  });
})();
