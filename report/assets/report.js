(function () {
  'use strict';
  var table = document.getElementById('findings');
  var dataEl = document.getElementById('report-data');
  if (!table || !dataEl) { return; }
  var D = JSON.parse(dataEl.textContent);
  var S = D.s;
  var PAGE = 100;
  var SEV = {critical: 4, high: 3, medium: 2, low: 1};
  var ST = {NonCompliant: 6, Error: 5, Unknown: 4, Compliant: 3, Exempt: 2, NotApplicable: 1};
  function str(i) { return i >= 0 ? S[i] : ''; }
  // Resource IDs from the tree of segments.
  var ids = new Array(D.n.length / 2);
  function idOf(n) {
    if (n < 0) { return ''; }
    if (ids[n] === undefined) {
      var p = D.n[2 * n];
      ids[n] = (p < 0 ? '' : idOf(p) + '/') + S[D.n[2 * n + 1]];
    }
    return ids[n];
  }
  function resId(r) { return idOf(D.r[5 * r]); }
  function resName(r) {
    var k = D.r[5 * r + 1];
    if (k >= 0) { return S[k]; }
    var n = D.r[5 * r];
    return n >= 0 ? S[D.n[2 * n + 1]] : '';
  }
  // Rows: two parallel arrays, the group and the resource of each result.
  var total = 0;
  D.g.forEach(function (g) {
    g[14].forEach(function (d) { total += d > 0 ? 1 : -d; });
  });
  var rowG = new Int32Array(total), rowR = new Int32Array(total);
  (function () {
    var k = 0;
    D.g.forEach(function (g, gi) {
      var last = -1;
      g[14].forEach(function (d) {
        if (d > 0) { last += d; rowG[k] = gi; rowR[k++] = last; return; }
        for (var j = 0; j < -d; j++) { last++; rowG[k] = gi; rowR[k++] = last; }
      });
    });
  }());
  var query = document.getElementById('filter');
  var status = document.getElementById('status-filter');
  var severity = document.getElementById('severity-filter');
  var control = document.getElementById('control-filter');
  var shown = document.getElementById('shown');
  var pageInfo = document.getElementById('page');
  var prev = document.getElementById('prev'), next = document.getElementById('next');
  var tbody = table.tBodies[0];
  var view = new Int32Array(0), page = 0;
  var sortCol = -1, sortAsc = true;
  var groupText = D.g.map(function (g) {
    return [S[g[1]], S[g[0]], str(g[2]), str(g[5])].join(' ').toLowerCase();
  });
  var resText = [];
  function resourceText(r) {
    if (resText[r] === undefined) { resText[r] = (resName(r) + ' ' + resId(r) + ' ' + str(D.r[5 * r + 2])).toLowerCase(); }
    return resText[r];
  }
  function groupOK(g) {
    var s = status.value, st = S[g[4]];
    if (s === 'attention') {
      if (st !== 'NonCompliant' && st !== 'Error' && st !== 'Unknown') { return false; }
    } else if (s !== '' && st !== s) { return false; }
    if (severity.value !== '' && str(g[3]) !== severity.value) { return false; }
    if (control.value !== '' && S[g[1]] !== control.value) { return false; }
    return true;
  }
  function location(i) {
    var g = D.g[rowG[i]], r = rowR[i];
    if (g[10] < 0) { return ''; }
    var f = S[g[10]];
    if (g[11] === null) { return f; }
    var start = D.r[5 * r + 4] + g[11];
    return f + ':' + start + (g[12] > 0 ? '-' + (start + g[12]) : '');
  }
  function sortKey(i, col) {
    var g = D.g[rowG[i]];
    switch (col) {
      case 0: return SEV[str(g[3])] || 0;
      case 1: return ST[S[g[4]]] || 0;
      case 2: return S[g[1]];
      case 3: return S[g[0]];
      case 4: return resName(rowR[i]) || resId(rowR[i]);
      case 5: return str(g[5]);
      case 6: return location(i);
    }
    return '';
  }
  function apply() {
    var q = query.value.trim().toLowerCase();
    var out = [];
    var ok = D.g.map(groupOK);
    var textOK = D.g.map(function (g, gi) { return q === '' || groupText[gi].indexOf(q) >= 0; });
    for (var i = 0; i < total; i++) {
      var gi = rowG[i];
      if (!ok[gi]) { continue; }
      if (!textOK[gi] && resourceText(rowR[i]).indexOf(q) < 0) { continue; }
      out.push(i);
    }
    if (sortCol >= 0) {
      var col = sortCol, num = col < 2;
      var keys = out.map(function (i) { return sortKey(i, col); });
      var perm = out.map(function (i, k) { return k; });
      perm.sort(function (a, b) {
        var x = keys[a], y = keys[b];
        var c = num ? x - y : (x < y ? -1 : x > y ? 1 : 0);
        if (c === 0) { return out[a] - out[b]; }
        return sortAsc ? c : -c;
      });
      out = perm.map(function (k) { return out[k]; });
    }
    view = out;
    page = 0;
    shown.textContent = String(out.length);
    render();
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  // The remediation's placeholders, filled from an ARM resource ID as
  // the report package's ForResource fills them.
  function placeholders(id) {
    var seg = id.replace(/^\/+|\/+$/g, '').split('/');
    var vals = {};
    if (seg.length < 2 || seg[0].toLowerCase() !== 'subscriptions') { return vals; }
    function set(k, v) { if (v && /^[A-Za-z0-9._-]+$/.test(v)) { vals[k] = v; } }
    set('SUBSCRIPTION_ID', seg[1]); set('SUBSCRIPTION', seg[1]);
    for (var i = 2; i + 1 < seg.length; i += 2) {
      var k = seg[i].toLowerCase();
      if (k === 'resourcegroups') { set('RG', seg[i + 1]); }
      else if (k === 'flexibleservers' && seg[i - 1].toLowerCase() === 'microsoft.dbforpostgresql') { set('SERVER', seg[i + 1]); }
      else if (k === 'firewallrules' && vals.SERVER) { set('RULE', seg[i + 1]); }
    }
    return vals;
  }
  function fill(s, vals) {
    return s.replace(/\$([A-Z0-9_]*)/g, function (m, name) {
      return Object.prototype.hasOwnProperty.call(vals, name) ? vals[name] : m;
    });
  }
  function details(d, i) {
    var g = D.g[rowG[i]], r = rowR[i];
    var id = resId(r);
    if (id && id !== resName(r)) {
      var p = el('p', 'res'); p.appendChild(el('b', '', 'Resource ID: ')); p.appendChild(document.createTextNode(id)); d.appendChild(p);
    }
    if (g[6] >= 0) { var e = el('p'); e.appendChild(el('b', '', 'Effect: ')); e.appendChild(document.createTextNode(S[g[6]])); d.appendChild(e); }
    if (g[7] >= 0) { var a = el('p', 'res'); a.appendChild(el('b', '', 'Azure Policy: ')); a.appendChild(document.createTextNode(S[g[7]])); d.appendChild(a); }
    if (g[8] >= 0) {
      var kv = el('table', 'kv'), ev = D.e[g[8]];
      for (var k = 0; k < ev.length; k += 2) {
        var tr = el('tr'), c1 = el('td'), c2 = el('td');
        c1.appendChild(el('code', '', S[ev[k]])); c2.appendChild(el('code', '', S[ev[k + 1]]));
        tr.appendChild(c1); tr.appendChild(c2); kv.appendChild(tr);
      }
      d.appendChild(kv);
    }
    if (g[13] >= 0) { var dp = el('p', 'decide'); dp.appendChild(el('b', '', 'To decide: ')); dp.appendChild(document.createTextNode(S[g[13]])); d.appendChild(dp); }
    if (g[9] >= 0) {
      var m = D.m[g[9]], vals = placeholders(id);
      if (m[0] >= 0) { var rp = el('p'); rp.appendChild(el('b', '', 'Remediation: ')); rp.appendChild(document.createTextNode(S[m[0]])); d.appendChild(rp); }
      ['Azure CLI', 'Terraform', 'Bicep', 'SQL'].forEach(function (label, j) {
        var code = str(m[j + 1]);
        if (code.trim() === '') { return; }
        d.appendChild(el('p', 'mute', label));
        var pre = el('pre'); pre.appendChild(el('code', '', fill(code, vals))); d.appendChild(pre);
      });
    }
  }
  function row(i) {
    var g = D.g[rowG[i]], r = rowR[i];
    var tr = el('tr');
    var sev = str(g[3]), st = S[g[4]];
    tr.setAttribute('data-status', st);
    var c = el('td'); c.setAttribute('data-key', String(SEV[sev] || 0)); c.appendChild(el('span', 'badge sev-' + sev, sev)); tr.appendChild(c);
    c = el('td'); c.setAttribute('data-key', String(ST[st] || 0)); c.appendChild(el('span', 'badge s-' + st, st)); tr.appendChild(c);
    tr.appendChild(el('td', '', S[g[1]]));
    c = el('td'); c.appendChild(el('b', '', S[g[0]])); c.appendChild(el('br')); c.appendChild(el('span', 'mute', str(g[2]))); tr.appendChild(c);
    c = el('td', 'res', resName(r) || resId(r));
    var typ = str(D.r[5 * r + 2]);
    if (typ) { c.appendChild(el('br')); c.appendChild(el('span', 'mute', typ)); }
    tr.appendChild(c);
    tr.appendChild(el('td', 'msg', str(g[5])));
    tr.appendChild(el('td', 'loc', location(i)));
    c = el('td');
    var d = el('details'), sum = el('summary', '', 'evidence & fix');
    d.appendChild(sum);
    d.addEventListener('toggle', function () {
      if (d.open && !d.filled) { d.filled = true; details(d, i); }
    });
    c.appendChild(d);
    tr.appendChild(c);
    return tr;
  }
  function render() {
    var pages = Math.max(1, Math.ceil(view.length / PAGE));
    page = Math.min(Math.max(page, 0), pages - 1);
    var frag = document.createDocumentFragment();
    var end = Math.min(view.length, (page + 1) * PAGE);
    for (var k = page * PAGE; k < end; k++) { frag.appendChild(row(view[k])); }
    tbody.textContent = '';
    tbody.appendChild(frag);
    pageInfo.textContent = view.length === 0 ? 'no findings match' :
      (page * PAGE + 1) + '–' + end + ' of ' + view.length + ' · page ' + (page + 1) + ' of ' + pages;
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
  }
  prev.addEventListener('click', function () { page--; render(); });
  next.addEventListener('click', function () { page++; render(); });
  var timer = 0;
  // A fleet's filter waits for a pause in the typing.
  query.addEventListener('input', function () {
    clearTimeout(timer);
    if (total > 20000) { timer = setTimeout(apply, 200); } else { apply(); }
  });
  [status, severity, control].forEach(function (s) { s.addEventListener('change', apply); });
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, col) {
    if (!th.getAttribute('data-sort')) { return; }
    th.tabIndex = 0;
    function sort() {
      sortAsc = !(sortCol === col && sortAsc);
      sortCol = col;
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', sortAsc ? 'ascending' : 'descending');
      apply();
    }
    th.addEventListener('click', sort);
    th.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); }
    });
  });
  // Links from the controls and rules to their findings.
  document.addEventListener('click', function (e) {
    var a = e.target.closest ? e.target.closest('a[data-control], a[data-rule]') : null;
    if (!a) { return; }
    var c = a.getAttribute('data-control'), r = a.getAttribute('data-rule');
    control.value = c || '';
    query.value = r || '';
    var st = a.getAttribute('data-status');
    if (st) { status.value = st === 'all' ? '' : st; }
    apply();
  });
  apply();
  if (window.performance && performance.mark) { performance.mark('pgbaseline-rendered'); }
}());
