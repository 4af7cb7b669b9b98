// The Coffer console's page. Plain JavaScript, no framework, no build step: it is served from the jar and works
// offline. Every call goes to the console's own /api, which acts as the signed-in user; data arrives by server-sent
// events from the API server's watches, and the page renders from that store. Text from the cluster is always set
// with textContent (never as HTML).

const store = { backups: new Map(), schedules: new Map(), restores: new Map() };
let session = null;
let feed = null;
const PAGE = 25;
const ui = { loaded: false, snapshots: 0, page: 0, filters: { q: '', phase: '', type: '', schedule: '', namespace: '' }, open: null, logAbort: null };

// ---- helpers ----
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'test') el.setAttribute('data-test', v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
const svgNS = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...children) {
  const el = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}
function bytes(n) {
  if (n === null || n === undefined) return '';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(1)) + ' ' + u[i];
}
function ago(t) {
  if (!t) return '';
  const s = (Date.now() - Date.parse(t)) / 1000;
  if (s < 0) return 'in ' + span(-s);
  return span(s) + ' ago';
}
function span(s) {
  if (s < 90) return Math.round(s) + ' s';
  if (s < 5400) return Math.round(s / 60) + ' min';
  if (s < 129600) return Math.round(s / 3600) + ' h';
  return Math.round(s / 86400) + ' d';
}
function when(t) { return t ? new Date(t).toLocaleString() : ''; }
function key(o) { return o.namespace + '/' + o.name; }
function can(ns, what) { return !!(session && session.can[ns] && session.can[ns][what]); }
// the seed's shield on encrypted backups (drawn: no emoji font is needed)
function shield(title) {
  const g = s('svg', { class: 'shield', viewBox: '0 0 16 16', width: 14, height: 14, 'data-test': 'shield', role: 'img', 'aria-label': title });
  g.append(s('title', {}, title), s('path', { d: 'M8 1 L14 3.5 V8 C14 11.5 11.3 14 8 15 C4.7 14 2 11.5 2 8 V3.5 Z', fill: '#1a7f37' }),
    s('path', { d: 'M5.2 8.2 L7.2 10.2 L10.8 6', stroke: '#fff', 'stroke-width': 1.6, fill: 'none' }));
  return g;
}
function badge(text, cls) { return h('span', { class: 'badge b-' + (cls || text || 'plain') }, text || '–'); }
function phaseOf(o) { return o.deleting ? 'Deleting' : (o.phase || 'Pending'); }
function banner(text, info) {
  const b = document.getElementById('banner');
  if (!text) { b.hidden = true; return; }
  b.hidden = false; b.textContent = text; b.className = 'banner' + (info ? ' info' : '');
  b.setAttribute('data-test', info ? 'notice' : 'error');
  if (info) setTimeout(() => { if (b.textContent === text) b.hidden = true; }, 6000);
}

async function api(method, path, body) {
  const opts = { method, headers: { 'X-Coffer-Console': '1' } };
  if (body !== undefined) { opts.headers['Content-Type'] = 'application/json'; opts.body = JSON.stringify(body); }
  const r = await fetch(path, opts);
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = { error: text }; }
  if (!r.ok) throw new Error((data && data.error) || (r.status + ' ' + r.statusText));
  return data;
}
async function act(what, fn) {
  try { const r = await fn(); banner(what, true); return r; } catch (e) { banner(e.message); return null; }
}

// ---- live data ----
function connect() {
  if (feed) feed.close();
  const q = session.namespaces.map(n => 'namespace=' + encodeURIComponent(n)).join('&');
  feed = new EventSource('/api/watch?' + q);
  const live = document.getElementById('live');
  feed.onopen = () => live.classList.add('on');
  feed.onerror = () => {
    live.classList.remove('on');
    // the browser retries a dropped stream by itself; a refused one (401 once a token expired, 403) it gives up on
    if (feed.readyState === EventSource.CLOSED) {
      banner('Live updates stopped (the console or the API server refused the stream); retrying in 5 s. Reload to sign in again if it persists.');
      setTimeout(connect, 5000);
    }
  };
  feed.addEventListener('snapshot', ev => {
    const d = JSON.parse(ev.data);
    const m = mapFor(d.kind);
    for (const k of [...m.keys()]) if (k.startsWith(d.namespace + '/')) m.delete(k);
    for (const it of d.items) m.set(key(it), it);
    // the first time everything has arrived, draw the screen whole (forms fill their choices from the store)
    if (!ui.loaded && ++ui.snapshots >= 3 * session.namespaces.length) { ui.loaded = true; render(true); return; }
    rerender();
  });
  feed.addEventListener('change', ev => {
    const d = JSON.parse(ev.data);
    const m = mapFor(d.item.kind);
    if (d.type === 'DELETED') m.delete(key(d.item)); else m.set(key(d.item), d.item);
    rerender();
  });
  feed.addEventListener('resync', () => { feed.close(); setTimeout(connect, 200); });
}
function mapFor(kind) { return kind === 'Backup' ? store.backups : kind === 'BackupSchedule' ? store.schedules : store.restores; }
let pending = false;
function rerender() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; render(false); });
}

// ---- routing ----
function route() {
  const [path, query] = (location.hash.slice(2) || 'overview').split('?');
  return { view: path || 'overview', params: new URLSearchParams(query || '') };
}
window.addEventListener('hashchange', () => { ui.open = null; stopLog(); render(true); });

function render(full) {
  if (!ui.loaded) return;
  const { view, params } = route();
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.view === view);
  const main = document.getElementById('main');
  // a form being filled in is not redrawn by live updates: only its live parts are
  if (!full && main.dataset.view === view && main.querySelector('[data-keep]')) { refreshLive(main); return; }
  const views = { overview, backups, schedules, logs, restore };
  const el = (views[view] || overview)(params);
  main.dataset.view = view;
  main.replaceChildren(el);
}
function refreshLive(main) {
  for (const el of main.querySelectorAll('[data-live]')) {
    const fresh = liveParts[el.dataset.live] && liveParts[el.dataset.live](el.dataset.arg);
    if (fresh) el.replaceWith(fresh);
  }
}
const liveParts = {};

// ---- Overview ----
function health(sc) {
  if (sc.suspended) return ['suspended', 'suspended'];
  const last = lastOf(sc);
  if (last && last.phase === 'Failed') return ['failing', 'failing'];
  if (sc.ready === false) return ['warning', 'warning'];
  if (last && last.phase === 'Succeeded') return ['healthy', 'healthy'];
  return sc.lastSuccessfulTime ? ['healthy', 'healthy'] : ['no backup yet', 'warning'];
}
function scheduledBackups(sc) {
  return [...store.backups.values()].filter(b => b.namespace === sc.namespace && b.schedule === sc.name)
    .sort((a, b) => (a.created || '').localeCompare(b.created || ''));
}
function lastOf(sc) {
  const done = scheduledBackups(sc).filter(b => b.phase === 'Succeeded' || b.phase === 'Failed');
  return done[done.length - 1];
}
function overview() {
  const all = [...store.backups.values()];
  const day = Date.now() - 86400e3;
  const failed = all.filter(b => b.phase === 'Failed' && Date.parse(b.completed || b.created) > day);
  const running = [...all.filter(b => b.phase === 'Running' || b.phase === 'Pending'),
    ...[...store.restores.values()].filter(r => r.phase === 'Running' || r.phase === 'Pending')];
  const stored = all.reduce((n, b) => n + (b.phase === 'Succeeded' && b.storedBytes ? b.storedBytes : 0), 0);
  const ok = all.filter(b => b.phase === 'Succeeded').length;
  const done = ok + all.filter(b => b.phase === 'Failed').length;
  const schedules = [...store.schedules.values()].sort((a, b) => a.name.localeCompare(b.name));
  const unhealthy = schedules.filter(sc => health(sc)[0] !== 'healthy');
  return h('div', { test: 'overview' },
    h('h1', {}, 'Overview'),
    h('div', { class: 'cards' },
      card('Schedules', unhealthy.length === 0 ? 'all healthy' : unhealthy.length + ' need a look', schedules.length + ' schedules',
        unhealthy.length === 0 ? 'healthy' : 'warning', 'health'),
      card('Failed in the last day', String(failed.length), failed.map(b => b.name).slice(0, 3).join(', '), failed.length ? 'failing' : 'healthy', 'failed'),
      card('Running now', String(running.length), running.map(r => r.name).slice(0, 3).join(', '), running.length ? 'Running' : 'plain', 'running'),
      card('Stored', bytes(stored), all.length + ' backups', 'plain', 'stored'),
      card('Success rate', done ? Math.round(100 * ok / done) + ' %' : '–', ok + ' of ' + done + ' finished backups', 'plain', 'rate')),
    h('h2', {}, 'Schedules'),
    schedules.length === 0 ? h('p', { class: 'muted' }, 'No schedules yet. ', h('a', { href: '#/schedules' }, 'Create one.')) :
      h('table', { test: 'health-table' }, h('thead', {}, h('tr', {}, ['Schedule', 'Health', 'Last result', 'Next run', 'Stored', 'Success', 'Any second', 'Last drill'].map(t => h('th', {}, t)))),
        h('tbody', {}, schedules.map(sc => {
          const [text, cls] = health(sc);
          const bs = scheduledBackups(sc);
          const fin = bs.filter(b => b.phase === 'Succeeded' || b.phase === 'Failed');
          const last = lastOf(sc);
          return h('tr', { 'data-schedule': sc.name },
            h('td', {}, sc.name, h('div', { class: 'muted' }, sc.namespace)),
            h('td', {}, badge(text, cls), sc.message && text !== 'healthy' ? h('div', { class: 'muted' }, sc.message) : null),
            h('td', {}, last ? [badge(last.phase), ' ', ago(last.completed || last.created)] : h('span', { class: 'muted' }, 'never ran')),
            h('td', {}, sc.suspended ? 'suspended' : when(sc.next)),
            h('td', {}, sc.totalSize || bytes(sc.totalStoredBytes)),
            h('td', {}, fin.length ? Math.round(100 * fin.filter(b => b.phase === 'Succeeded').length / fin.length) + ' %' : '–'),
            h('td', { test: 'window-' + sc.name }, windowOf(sc)),
            h('td', { test: 'drill-' + sc.name }, drillOf(sc)));
        }))),
    h('h2', {}, 'Over time'),
    h('div', { class: 'plots' }, schedules.flatMap(sc => {
      const bs = scheduledBackups(sc).filter(b => b.phase === 'Succeeded' || b.phase === 'Failed').slice(-40);
      if (bs.length === 0) return [];
      return [h('div', { class: 'card', test: 'plot-' + sc.name },
        h('h3', {}, sc.name, h('span', { class: 'muted' }, 'stored size and duration of the last ' + bs.length)), plot(bs))];
    })));
}
// a schedule's last restore drill (spec.drill): its result, when, and the time to a usable copy
function drillOf(sc) {
  const d = sc.lastDrill;
  if (!d) return h('span', { class: 'muted' }, '–');
  return h('span', { title: d.message || '' }, badge(d.result || 'Running', d.result === 'Passed' ? 'Verified' : d.result),
    ' ', ago(d.time), d.rtoSeconds !== undefined && d.rtoSeconds !== null ? h('div', { class: 'muted' }, 'RTO ' + d.rtoSeconds + ' s') : null);
}
// a schedule's oplog archive (spec.pointInTime): the seconds a restore can reach, and its gaps
function windowOf(sc) {
  const p = sc.pointInTime;
  if (!p) return h('span', { class: 'muted' }, '–');
  if (!p.until) return h('span', { class: 'muted' }, p.state === 'Running' ? 'opens with the next backup' : (p.state || '').toLowerCase());
  return h('span', {}, when(p.from) + ' → ' + when(p.until),
    p.gaps ? [' ', badge(p.gaps + (p.gaps === 1 ? ' gap' : ' gaps'), 'warning')] : null,
    p.state !== 'Running' ? [' ', badge('archiver ' + (p.state || '').toLowerCase(), 'warning')] : null);
}
function card(title, big, sub, cls, test) {
  return h('div', { class: 'card', test: 'card-' + test }, h('h3', {}, title, cls === 'plain' ? null : badge(cls, cls)),
    h('div', { class: 'big' }, big), h('div', { class: 'muted' }, sub || ''));
}
// bars: stored bytes (green, red for a failed run); line: duration
function plot(bs) {
  const W = 360, H = 120, P = 24;
  const maxB = Math.max(1, ...bs.map(b => b.storedBytes || 0));
  const maxD = Math.max(1, ...bs.map(b => b.durationSeconds || 0));
  const w = (W - 2 * P) / bs.length;
  const g = s('svg', { class: 'plot', viewBox: `0 0 ${W} ${H + 16}`, width: '100%', role: 'img',
    'aria-label': 'stored size (bars) and duration (line) per backup' });
  g.append(s('line', { x1: P, y1: H, x2: W - P, y2: H, stroke: '#ccc' }));
  let pts = [];
  bs.forEach((b, i) => {
    const bh = b.phase === 'Failed' ? 6 : (H - P) * (b.storedBytes || 0) / maxB;
    const r = s('rect', { x: P + i * w + 1, y: H - bh, width: Math.max(1, w - 2), height: bh, fill: b.phase === 'Failed' ? '#c0262d' : '#6cc08b' });
    r.append(s('title', {}, `${b.name}: ${b.phase}, ${b.size || ''} in ${b.duration || '?'}`));
    g.append(r);
    if (b.durationSeconds) pts.push(`${P + i * w + w / 2},${H - (H - P) * b.durationSeconds / maxD}`);
  });
  if (pts.length > 1) g.append(s('polyline', { points: pts.join(' '), fill: 'none', stroke: '#2b5fd9', 'stroke-width': 1.5 }));
  g.append(s('text', { x: P, y: 12 }, 'max ' + bytes(maxB)));
  g.append(s('text', { x: W - P, y: 12, 'text-anchor': 'end' }, 'max ' + span(maxD)));
  const at = b => new Date(b.completed || b.created).toLocaleDateString();
  g.append(s('text', { x: P, y: H + 13 }, at(bs[0])));
  g.append(s('text', { x: W - P, y: H + 13, 'text-anchor': 'end' }, at(bs[bs.length - 1])));
  return g;
}

// ---- Backups ----
function filtered() {
  const f = ui.filters;
  const q = f.q.toLowerCase();
  return [...store.backups.values()].filter(b =>
    (!q || b.name.toLowerCase().includes(q) || (b.backupId || '').toLowerCase().includes(q)) &&
    (!f.phase || phaseOf(b) === f.phase) && (!f.type || b.type === f.type) &&
    (!f.schedule || (f.schedule === '(none)' ? !b.schedule : b.schedule === f.schedule)) &&
    (!f.namespace || b.namespace === f.namespace))
    .sort((a, b) => (b.created || '').localeCompare(a.created || '') || a.name.localeCompare(b.name));
}
function backups(params) {
  const ns = session.namespaces;
  const mayCreate = ns.some(n => can(n, 'createBackup'));
  const wrap = h('div', { test: 'backups' });
  const head = h('div', { class: 'toolbar' }, h('h1', {}, 'Backups'),
    mayCreate ? h('button', { class: 'primary', test: 'new-backup', onclick: () => { wrap.prepend(backupForm(wrap)); } }, 'New backup') : null);
  const sel = (name, options, label) => h('select', { test: 'filter-' + name, 'aria-label': label, onchange: e => { ui.filters[name] = e.target.value; ui.page = 0; redraw(); } },
    h('option', { value: '' }, label), options.map(o => h('option', { value: o, selected: ui.filters[name] === o }, o)));
  const schedules = [...new Set([...store.backups.values()].map(b => b.schedule).filter(Boolean))].sort();
  const search = h('input', { type: 'search', placeholder: 'Search by name or id', test: 'search', value: ui.filters.q,
    oninput: e => { ui.filters.q = e.target.value; ui.page = 0; redraw(); } });
  const tools = h('div', { class: 'toolbar' }, search,
    sel('phase', ['Pending', 'Running', 'Succeeded', 'Failed', 'Deleting'], 'Any phase'),
    sel('type', ['Full', 'Database', 'Files', 'Incremental'], 'Any type'),
    sel('schedule', [...schedules, '(none)'], 'Any schedule'),
    ns.length > 1 ? sel('namespace', ns, 'Any namespace') : null);
  const table = h('div', { 'data-live': 'backupTable', 'data-keep': '' });
  // live updates replace the table's element: redraw whichever is on the page now
  function redraw() { (wrap.querySelector('[data-live=backupTable]') || table).replaceChildren(...backupTable().childNodes); }
  liveParts.backupTable = () => { const t = h('div', { 'data-live': 'backupTable', 'data-keep': '' }); t.append(...backupTable().childNodes); return t; };
  redraw();
  wrap.append(head, tools, table);
  return wrap;
}
function backupTable() {
  const rows = filtered();
  const pages = Math.max(1, Math.ceil(rows.length / PAGE));
  if (ui.page >= pages) ui.page = pages - 1;
  const shown = rows.slice(ui.page * PAGE, ui.page * PAGE + PAGE);
  const out = h('div', {});
  out.append(h('table', { test: 'backup-table' },
    h('thead', {}, h('tr', {}, ['Name', 'Phase', 'Type', 'Schedule', 'Size', 'Duration', 'Created', ''].map(t => h('th', {}, t)))),
    h('tbody', {}, shown.length === 0 ? h('tr', {}, h('td', { colspan: 8, class: 'muted' }, store.backups.size ? 'No backup matches these filters.' : 'No backups yet.')) :
      shown.flatMap(b => backupRow(b)))));
  out.append(h('div', { class: 'pager', test: 'pager' },
    h('button', { test: 'prev', disabled: ui.page === 0, onclick: () => { ui.page--; render(true); } }, '‹ Previous'),
    h('span', { test: 'page-info' }, rows.length === 0 ? '0 backups' :
      `${ui.page * PAGE + 1}–${ui.page * PAGE + shown.length} of ${rows.length} (page ${ui.page + 1} of ${pages})`),
    h('button', { test: 'next', disabled: ui.page >= pages - 1, onclick: () => { ui.page++; render(true); } }, 'Next ›')));
  return out;
}
function backupRow(b) {
  const ph = phaseOf(b);
  const running = ph === 'Running' || ph === 'Pending';
  const v = b.verification;
  const row = h('tr', { 'data-backup': b.name, test: 'row-' + b.name },
    h('td', {}, h('button', { class: 'link', onclick: () => { ui.open = ui.open === key(b) ? null : key(b); render(true); } }, b.name),
      b.encrypted ? shield('encrypted with age') : null,
      session.namespaces.length > 1 ? h('div', { class: 'muted' }, b.namespace) : null),
    h('td', {}, badge(ph), running && b.progress && b.progress.percent !== null && b.progress.percent !== undefined ?
      h('div', { class: 'bar', title: b.progress.item || '', test: 'progress' }, progressBar(b.progress.percent)) : null,
      v && v.result ? h('div', {}, badge(v.result === 'Verified' ? 'verified' : v.result, v.result)) : null,
      copiesBadge(b)),
    h('td', {}, b.type || ''),
    h('td', {}, b.schedule || h('span', { class: 'muted' }, 'manual'),
      b.requestedBy ? h('div', { class: 'muted', test: 'by-' + b.name, title: 'coffer.io/requested-by' }, 'by ' + b.requestedBy) : null),
    h('td', {}, b.size || ''),
    h('td', {}, b.duration || (running && b.started ? ago(b.started).replace(' ago', '') + '…' : '')),
    h('td', { title: when(b.created) }, ago(b.created)),
    h('td', { class: 'actions' },
      h('a', { href: '#/logs?kind=backups&name=' + encodeURIComponent(b.name) + '&namespace=' + b.namespace, test: 'log-' + b.name }, 'Log'),
      b.phase === 'Succeeded' && can(b.namespace, 'verifyBackup') ? h('button', { class: 'link', test: 'verify-' + b.name,
        onclick: () => act('Verification of ' + b.name + ' requested', () => api('POST', `/api/namespaces/${b.namespace}/backups/${b.name}/verify`, {})) }, 'Verify') : null,
      b.phase === 'Succeeded' && can(b.namespace, 'verifyBackup') ? downloadAction(b) : null,
      b.phase === 'Succeeded' && can(b.namespace, 'createRestore') ? h('a', { href: '#/restore?backup=' + encodeURIComponent(b.name) + '&namespace=' + b.namespace,
        test: 'restore-' + b.name }, 'Restore') : null,
      can(b.namespace, 'deleteBackup') && !b.deleting ? h('button', { class: 'link', test: 'delete-' + b.name, onclick: () => {
        if (confirm('Delete Backup ' + b.name + ' and what it stored?')) act('Deleting ' + b.name, () => api('DELETE', `/api/namespaces/${b.namespace}/backups/${b.name}`));
      } }, 'Delete') : null));
  if (ui.open !== key(b)) return [row];
  const c = b.contents || {};
  const detail = h('tr', { class: 'row-detail' }, h('td', { colspan: 8 }, kvFill(h('div', { class: 'kv', test: 'detail' }), [
    ['Backup id', b.backupId], ['Stored in', b.storage], ['Encrypted', b.encrypted ? 'yes (age)' : 'no'],
    ['Modules', (b.modules && b.modules.length ? b.modules.join(', ') : 'all selected collections')],
    ['Contents', c.documents !== undefined ? `${c.collections || 0} collections, ${c.documents || 0} documents, ${c.files || 0} files` : ''],
    ['Stored / raw', b.storedBytes ? bytes(b.storedBytes) + ' / ' + bytes(b.rawBytes) : ''],
    ['Moment', b.consistency === 'PointInTime' ? 'one moment of the database: ' + when(b.consistentAt)
      : b.consistency === 'PerCollection' ? 'not one moment: each collection as it was read (' + (b.consistencyReason || '') + ')' : ''],
    ['Started', when(b.started)], ['Completed', when(b.completed)], ['Attempts', b.attempts],
    ['Builds on', b.parent], ['Verification', v ? `${v.result || ''} ${when(v.time)} ${v.message || ''}` : 'never verified'],
    ['Copies', (b.copies || []).map(x => `${x.name}: ${x.phase || 'waiting'} at ${x.location || ''}${x.time ? ' ' + when(x.time) : ''}${x.phase === 'Failed' && x.message ? ' (' + x.message + ')' : ''}`).join('; ')],
    ['Download', b.download ? `${b.download.result || ''} ${b.download.message || ''}` : ''],
    ['Last error', b.lastError]])));
  return [row, detail];
}
// Copies (spec.copies): one badge, "2/2 copies" when every copy is there and checked, else what is missing
function copiesBadge(b) {
  const cs = b.copies || [];
  if (!cs.length) return null;
  const ok = cs.filter(c => c.phase === 'Verified').length;
  const failed = cs.some(c => c.phase === 'Failed');
  return h('div', { test: 'copies-' + b.name, title: cs.map(c => c.name + ': ' + (c.phase || 'waiting')).join(', ') },
    badge(ok + '/' + cs.length + ' copies', ok === cs.length ? 'Verified' : failed ? 'Failed' : 'Running'));
}
// Download: the operator answers the request with a Job that holds the storage credentials and a presigned URL
// (status.download); the console holds neither. Only an http(s) URL becomes a link.
function downloadAction(b) {
  const dl = b.download;
  const s3 = (b.storage || '').startsWith('s3://');
  const ask = () => act('Download of ' + b.name + ' requested: ' + (s3 ? 'a Job signs a URL' : 'a Job serves it from the volume'),
    () => api('POST', `/api/namespaces/${b.namespace}/backups/${b.name}/download`, {}));
  if (dl && dl.result === 'Running') return h('span', { class: 'muted', test: 'download-wait-' + b.name }, 'preparing the download…');
  if (dl && dl.result === 'Ready' && /^https?:\/\//.test(dl.url || '') && Date.parse(dl.expiresAt) > Date.now()) {
    // S3: the presigned URL itself; a volume: the pod's URL is inside the cluster, so the console passes it on
    const href = s3 ? dl.url : `/api/namespaces/${b.namespace}/backups/${encodeURIComponent(b.name)}/file`;
    return h('a', { href, download: dl.fileName || '', rel: 'noreferrer', test: 'download-link-' + b.name,
      title: dl.message || '' }, 'Download (' + span((Date.parse(dl.expiresAt) - Date.now()) / 1000) + ' left)');
  }
  return h('button', { class: 'link', test: 'download-' + b.name,
    title: dl && dl.result === 'Failed' ? dl.message : s3 ? 'a URL valid for 15 minutes' : 'served from the volume for 15 minutes',
    onclick: ask }, dl && dl.result === 'Failed' ? 'Download failed: retry' : 'Download');
}
function progressBar(p) { const d = h('div', {}); d.style.width = Math.max(2, Math.min(100, p)) + '%'; return d; }
// the kv rows of a detail panel, leaving out empty values
function kvRows(...pairs) {
  const d = h('div', {});
  for (const [k, v] of pairs) if (v !== null && v !== undefined && v !== '') d.append(h('div', {}, k), h('div', {}, String(v)));
  return d;
}
function kvFill(el, pairs) { el.replaceChildren(...kvRows(...pairs).childNodes); return el; }

async function loadTemplates(ns) { return api('GET', `/api/namespaces/${ns}/templates`); }
function nsSelect(what, onchange) {
  const allowed = session.namespaces.filter(n => can(n, what));
  return h('select', { name: 'namespace', test: 'form-namespace', onchange }, allowed.map(n => h('option', { value: n }, n)));
}
// the fields a Backup and a schedule share: based on, type, modules, encryption
function whatFields(form, ns, templates, chosen) {
  const grid = h('div', { class: 'grid' });
  const tpl = h('select', { name: 'template', test: 'form-template' }, templates.map((t, i) =>
    h('option', { value: i, selected: chosen && t.kind === chosen.kind && t.name === chosen.name }, `${t.kind === 'BackupSchedule' ? 'schedule' : 'backup'} ${t.name} → ${t.storage}`)));
  const type = h('select', { name: 'type', test: 'form-type' }, ['Full', 'Database', 'Files', 'Incremental'].map(t => h('option', { value: t }, t)));
  const modules = h('div', { class: 'checks', test: 'form-modules' });
  const encrypt = h('input', { type: 'checkbox', name: 'encrypt', test: 'form-encrypt' });
  const encNote = h('span', { class: 'muted' });
  async function pick() {
    const t = templates[tpl.value];
    if (!t) return;
    type.value = t.type || 'Full';
    encrypt.checked = t.encrypted; encrypt.disabled = !t.encrypted;
    encNote.textContent = t.encrypted ? ' to the template\'s age keys (the console never sees a key)' : ' the template has no keys: this backup cannot be encrypted';
    modules.replaceChildren(h('span', { class: 'muted' }, 'loading the module map…'));
    try {
      const m = await api('GET', `/api/namespaces/${ns()}/modules?template=${t.kind}/${encodeURIComponent(t.name)}`);
      const names = Object.keys(m.modules || {});
      modules.replaceChildren(...names.map(n => h('label', { title: (m.modules[n] || []).join(', ') },
        h('input', { type: 'checkbox', value: n, test: 'module-' + n, checked: (m.chosen || []).includes(n) }), ' ', n)),
        names.length === 0 ? h('span', { class: 'muted' }, m.note || 'no modules') : h('span', { class: 'muted' }, '(ticked: only these modules; none ticked: what the template selects)'));
    } catch (e) { modules.replaceChildren(h('span', { class: 'error' }, e.message)); }
  }
  tpl.addEventListener('change', pick);
  grid.append(h('label', {}, 'Based on'), tpl, h('label', {}, 'Type'), type, h('label', {}, 'Modules'), modules,
    h('label', {}, 'Encryption'), h('span', {}, h('label', {}, encrypt, ' encrypt'), encNote));
  form.append(grid);
  pick();
  return () => {
    const t = templates[tpl.value];
    return { template: { kind: t.kind, name: t.name }, type: type.value, encrypt: encrypt.checked,
      modules: [...modules.querySelectorAll('input:checked')].map(i => i.value) };
  };
}
function backupForm(wrap) {
  const old = wrap.querySelector('form'); if (old) old.remove();
  const form = h('form', { class: 'panel', test: 'backup-form', 'data-keep': '' }, h('h2', {}, 'New backup'));
  const nsSel = nsSelect('createBackup');
  const name = h('input', { name: 'name', placeholder: '(generated)', test: 'form-name' });
  form.append(h('div', { class: 'grid' }, h('label', {}, 'Namespace'), nsSel, h('label', {}, 'Name'), name));
  const body = h('div', {});
  form.append(body);
  let read = null;
  const load = async () => {
    const ts = await loadTemplates(nsSel.value).catch(e => { banner(e.message); return []; });
    body.replaceChildren();
    if (ts.length === 0) { body.append(h('p', { class: 'muted' }, 'Nothing to base a backup on yet: apply a BackupSchedule or a Backup with kubectl first (they say where the data is and where it is stored).')); read = null; return; }
    read = whatFields(body, () => nsSel.value, ts);
  };
  nsSel.addEventListener('change', load);
  load();
  form.append(h('div', { class: 'toolbar' }, h('button', { class: 'primary', type: 'submit', test: 'create-backup' }, 'Create backup'),
    h('button', { type: 'button', onclick: () => form.remove() }, 'Cancel')));
  form.addEventListener('submit', async e => {
    e.preventDefault();
    if (!read) return;
    const b = await act('Backup created', () => api('POST', `/api/namespaces/${nsSel.value}/backups`, { ...read(), name: name.value }));
    if (b) { form.remove(); ui.filters = { q: '', phase: '', type: '', schedule: '', namespace: '' }; ui.page = 0; render(true); }
  });
  return form;
}

// ---- Schedules ----
function schedules() {
  const list = [...store.schedules.values()].sort((a, b) => a.name.localeCompare(b.name));
  const wrap = h('div', { test: 'schedules' });
  const mayCreate = session.namespaces.some(n => can(n, 'createSchedule'));
  wrap.append(h('div', { class: 'toolbar' }, h('h1', {}, 'Schedules'),
    mayCreate ? h('button', { class: 'primary', test: 'new-schedule', onclick: () => wrap.insertBefore(scheduleForm(null), wrap.children[1]) }, 'New schedule') : null));
  const table = () => h('table', { test: 'schedule-table', 'data-live': 'scheduleTable' },
    h('thead', {}, h('tr', {}, ['Name', 'When', 'What', 'Keeps', 'Status', 'Next run', 'Last result', ''].map(t => h('th', {}, t)))),
    h('tbody', {}, [...store.schedules.values()].sort((a, b) => a.name.localeCompare(b.name)).map(sc => {
      const last = lastOf(sc);
      const r = sc.retention || {};
      const keeps = [r.keepLast && `last ${r.keepLast}`, r.maxAge && `for ${r.maxAge}`, r.keepDaily && `${r.keepDaily} daily`,
        r.keepWeekly && `${r.keepWeekly} weekly`, r.keepMonthly && `${r.keepMonthly} monthly`].filter(Boolean).join(', ');
      const [text, cls] = health(sc);
      return h('tr', { 'data-schedule': sc.name, test: 'schedule-' + sc.name },
        h('td', {}, sc.name, sc.encrypted ? shield('its backups are encrypted with age') : null),
        h('td', {}, describeWhen(sc)),
        h('td', {}, (sc.type || '') + (sc.modules && sc.modules.length ? ': ' + sc.modules.join(', ') : ''), h('div', { class: 'muted' }, sc.storage || '')),
        h('td', {}, keeps || 'everything'),
        h('td', { test: 'status' }, badge(text, cls)),
        h('td', {}, sc.suspended ? '–' : when(sc.next)),
        h('td', {}, last ? [badge(last.phase), ' ', ago(last.completed || last.created)] : h('span', { class: 'muted' }, 'none yet')),
        h('td', { class: 'actions' },
          can(sc.namespace, 'suspendSchedule') ? (sc.suspended ?
            h('button', { class: 'link', test: 'resume-' + sc.name, onclick: () => act(sc.name + ' resumed', () => api('POST', `/api/namespaces/${sc.namespace}/backupschedules/${sc.name}/resume`)) }, 'Resume') :
            h('button', { class: 'link', test: 'suspend-' + sc.name, onclick: () => act(sc.name + ' suspended', () => api('POST', `/api/namespaces/${sc.namespace}/backupschedules/${sc.name}/suspend`)) }, 'Suspend')) : null,
          can(sc.namespace, 'editSchedule') ? h('button', { class: 'link', test: 'edit-' + sc.name, onclick: () => {
            const old = wrap.querySelector('form'); if (old) old.remove();
            wrap.insertBefore(scheduleForm(sc), wrap.children[1]);
          } }, 'Edit') : null,
          h('a', { href: '#/backups', onclick: () => { ui.filters = { q: '', phase: '', type: '', schedule: sc.name, namespace: '' }; ui.page = 0; } }, 'Backups'),
          can(sc.namespace, 'deleteSchedule') ? h('button', { class: 'link', test: 'delete-' + sc.name, onclick: () => {
            if (confirm('Delete schedule ' + sc.name + '? Its Backups stay.')) act(sc.name + ' deleted', () => api('DELETE', `/api/namespaces/${sc.namespace}/backupschedules/${sc.name}`));
          } }, 'Delete') : null));
    })));
  liveParts.scheduleTable = table;
  wrap.append(list.length ? table() : h('p', { class: 'muted', 'data-live': 'scheduleTable' }, 'No schedules yet.'));
  return wrap;
}
function describeWhen(sc) {
  if (sc.cron) return `cron ${sc.cron} (${sc.timeZone})`;
  const d = sc.every === 'Weekly' ? ` on ${sc.dayOfWeek}` : sc.every === 'Monthly' ? ` on day ${sc.dayOfMonth}` : '';
  return `${sc.every}${d} at ${sc.time} (${sc.timeZone})`;
}
function scheduleForm(existing) {
  const form = h('form', { class: 'panel', test: 'schedule-form', 'data-keep': '' }, h('h2', {}, existing ? 'Edit schedule ' + existing.name : 'New schedule'));
  const nsSel = existing ? h('select', { disabled: true }, h('option', {}, existing.namespace)) : nsSelect('createSchedule');
  const ns = () => existing ? existing.namespace : nsSel.value;
  const name = h('input', { name: 'name', test: 'form-name', placeholder: 'e.g. nightly', value: existing ? existing.name : '', disabled: !!existing });
  const every = h('select', { name: 'every', test: 'form-every' }, ['Daily', 'Weekly', 'Monthly', 'Cron'].map(v => h('option', { value: v, selected: existing && (existing.cron ? v === 'Cron' : existing.every === v) }, v)));
  const time = h('input', { name: 'time', type: 'time', test: 'form-time', value: existing && existing.time ? existing.time : '02:00' });
  const dow = h('select', { name: 'dayOfWeek', test: 'form-dow' }, ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'].map(d => h('option', { value: d, selected: existing ? existing.dayOfWeek === d : d === 'Sunday' }, d)));
  const dom = h('input', { name: 'dayOfMonth', type: 'number', min: 1, max: 28, value: existing && existing.dayOfMonth ? existing.dayOfMonth : 1, test: 'form-dom' });
  const cron = h('input', { name: 'cron', placeholder: '0 2 * * *', value: existing && existing.cron ? existing.cron : '', test: 'form-cron' });
  const tz = h('input', { name: 'timeZone', value: existing ? existing.timeZone : (Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'), test: 'form-tz' });
  const r = (existing && existing.retention) || {};
  const keepLast = h('input', { type: 'number', min: 1, value: r.keepLast || (existing ? '' : 7), test: 'form-keeplast' });
  const maxAge = h('input', { placeholder: 'e.g. 30d', value: r.maxAge || (existing ? '' : '30d'), test: 'form-maxage' });
  const verify = h('input', { type: 'checkbox', checked: existing ? existing.verifyAfterEachBackup : true, test: 'form-verify' });
  const whenRow = h('span', {});
  const sync = () => {
    whenRow.replaceChildren(...(every.value === 'Cron' ? [cron] : [time, every.value === 'Weekly' ? [' on ', dow] : every.value === 'Monthly' ? [' on day ', dom] : []].flat()));
  };
  every.addEventListener('change', sync); sync();
  form.append(h('div', { class: 'grid' }, h('label', {}, 'Namespace'), nsSel, h('label', {}, 'Name'), name,
    h('label', {}, 'Every'), every, h('label', {}, 'At'), whenRow, h('label', {}, 'Time zone'), tz,
    h('label', {}, 'Keep the last'), keepLast, h('label', {}, 'and all younger than'), maxAge,
    h('label', {}, 'Verify'), h('label', {}, verify, ' verify each backup once it succeeded')));
  const what = h('div', {});
  form.append(what);
  let read = null;
  const load = async () => {
    const ts = await loadTemplates(ns()).catch(e => { banner(e.message); return []; });
    if (existing) ts.unshift({ kind: 'BackupSchedule', name: existing.name, type: existing.type, storage: existing.storage, encrypted: existing.encrypted });
    what.replaceChildren();
    if (ts.length === 0) { what.append(h('p', { class: 'muted' }, 'Nothing to base a schedule on yet: apply a Backup with kubectl first.')); return; }
    read = whatFields(what, ns, ts, existing ? { kind: 'BackupSchedule', name: existing.name } : null);
  };
  if (!existing) nsSel.addEventListener('change', load);
  load();
  form.append(h('div', { class: 'toolbar' }, h('button', { class: 'primary', type: 'submit', test: 'save-schedule' }, existing ? 'Save' : 'Create schedule'),
    h('button', { type: 'button', onclick: () => form.remove() }, 'Cancel')));
  form.addEventListener('submit', async e => {
    e.preventDefault();
    if (!read) return;
    const body = { ...read(), name: name.value, every: every.value, time: time.value, dayOfWeek: dow.value, dayOfMonth: dom.value,
      cron: cron.value, timeZone: tz.value, keepLast: keepLast.value, maxAge: maxAge.value, verifyAfterEachBackup: verify.checked };
    const ok = existing ? await act(existing.name + ' saved', () => api('PUT', `/api/namespaces/${ns()}/backupschedules/${existing.name}`, body))
      : await act('Schedule ' + name.value + ' created', () => api('POST', `/api/namespaces/${ns()}/backupschedules`, body));
    if (ok) { form.remove(); render(true); }
  });
  return form;
}

// ---- Logs & history ----
function stopLog() { if (ui.logAbort) { ui.logAbort.abort(); ui.logAbort = null; } }
function logs(params) {
  const name = params.get('name');
  if (name) return logView(params.get('kind') || 'backups', name, params.get('namespace') || session.namespaces[0]);
  const ops = [...[...store.backups.values()].map(b => ({ ...b, op: 'Backup', kindPath: 'backups' })),
    ...[...store.restores.values()].map(r => ({ ...r, op: r.dryRun ? 'Restore preview' : 'Restore', kindPath: 'restores', type: r.mode }))]
    .sort((a, b) => (b.created || '').localeCompare(a.created || '')).slice(0, 200);
  return h('div', { test: 'history', 'data-live': 'history' },
    h('h1', {}, 'Logs & history'),
    h('p', { class: 'muted' }, 'Every backup and restore, newest first (the newest 200; the Backups screen searches and filters them all).'),
    h('table', {}, h('thead', {}, h('tr', {}, ['Operation', 'Name', 'Phase', 'Type / mode', 'Size', 'Duration', 'When', 'By', ''].map(t => h('th', {}, t)))),
      h('tbody', {}, ops.map(o => h('tr', { test: 'op-' + o.name },
        h('td', {}, o.op), h('td', {}, o.name), h('td', {}, badge(phaseOf(o))), h('td', {}, o.type || ''), h('td', {}, o.size || ''),
        h('td', {}, o.duration || ''), h('td', { title: when(o.created) }, ago(o.created)),
        h('td', { test: 'op-by-' + o.name }, o.requestedBy ? o.requestedBy + (o.schedule ? ' (schedule ' + o.schedule + ')' : '') : h('span', { class: 'muted' }, '—')),
        h('td', {}, h('a', { href: `#/logs?kind=${o.kindPath}&name=${encodeURIComponent(o.name)}&namespace=${o.namespace}` }, 'Log')))))));
}
liveParts.history = () => route().params.get('name') ? null : logs(route().params);
function logView(kind, name, ns) {
  const o = (kind === 'backups' ? store.backups : store.restores).get(ns + '/' + name);
  const pre = h('pre', { class: 'log', test: 'log' }, '');
  const state = h('span', { class: 'muted', test: 'log-state' }, 'loading…');
  const wrap = h('div', { test: 'log-view', 'data-keep': '' },
    h('div', { class: 'toolbar' }, h('a', { href: '#/logs' }, '‹ Logs & history'), h('h1', {}, `Log of ${kind === 'backups' ? 'Backup' : 'Restore'} ${name}`)),
    h('div', { 'data-live': 'logHead', 'data-arg': kind + '|' + ns + '|' + name }, logHead(kind, ns, name)), state, pre);
  stopLog();
  const ctl = new AbortController();
  ui.logAbort = ctl;
  (async () => {
    const running = o && (o.phase === 'Running' || o.phase === 'Pending');
    try {
      const r = await fetch(`/api/namespaces/${ns}/logs/${kind}/${encodeURIComponent(name)}?follow=${running ? 'true' : 'false'}`, { signal: ctl.signal });
      if (!r.ok) {
        let msg = r.statusText;
        try { msg = (await r.json()).error; } catch (e) { }
        state.textContent = msg;
        const full = await api('GET', `/api/namespaces/${ns}/${kind}/${encodeURIComponent(name)}`).catch(() => null);
        const tail = full && full.resource && full.resource.status && full.resource.status.logTail;
        if (tail) { state.textContent = msg + ' — the last lines, from the status:'; pre.textContent = tail.join('\n'); }
        return;
      }
      state.textContent = (running ? 'following the live log of pod ' : 'the full log of pod ') + (r.headers.get('X-Coffer-Pod') || '');
      const reader = r.body.getReader();
      const dec = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        pre.textContent += dec.decode(value, { stream: true });
        pre.scrollTop = pre.scrollHeight;
      }
      if (running) state.textContent = 'the pod ended; this is its whole log';
    } catch (e) { if (e.name !== 'AbortError') state.textContent = e.message; }
  })();
  return wrap;
}
function logHead(kind, ns, name) {
  const o = (kind === 'backups' ? store.backups : store.restores).get(ns + '/' + name);
  if (!o) return h('p', { class: 'muted' }, 'not (or no longer) in the cluster');
  return h('div', { class: 'toolbar' }, badge(phaseOf(o)), o.progress && o.progress.percent !== undefined && o.phase === 'Running' ?
    [h('div', { class: 'bar' }, progressBar(o.progress.percent)), Math.round(o.progress.percent) + ' %', ' ', o.progress.item || ''] : null,
    o.duration ? 'took ' + o.duration : null, o.lastError ? h('span', { class: 'error' }, o.lastError) : null);
}
liveParts.logHead = arg => { const [k, n, name] = arg.split('|'); const d = h('div', { 'data-live': 'logHead', 'data-arg': arg }, logHead(k, n, name)); return d; };

// ---- Restore ----
function restore(params) {
  const wrap = h('div', { test: 'restore', 'data-keep': '' }, h('h1', {}, 'Restore'));
  const nss = session.namespaces.filter(n => can(n, 'createRestore'));
  if (nss.length === 0) {
    wrap.append(h('p', { test: 'no-restore' }, 'You may not restore here: restoring overwrites data, so it takes the coffer-restorer role (ask an admin). You can still browse backups and their logs.'));
    return wrap;
  }
  const ns0 = params.get('namespace') && nss.includes(params.get('namespace')) ? params.get('namespace') : nss[0];
  const nsSel = h('select', { test: 'restore-namespace' }, nss.map(n => h('option', { value: n, selected: n === ns0 }, n)));
  const backupSel = h('select', { test: 'restore-backup' });
  const srcSel = h('select', { test: 'restore-source' }, h('option', { value: 'backup' }, 'a Backup in this namespace'),
    h('option', { value: 'id', selected: !!params.get('id') }, 'a stored backup, by its id (disaster recovery: no Backup resource needed)'),
    h('option', { value: 'upload', selected: params.get('from') === 'upload' }, 'a file I upload (a Coffer archive as Download writes it, or a mongodump archive)'));
  const tplSel = h('select', { test: 'restore-template' });
  const fileInput = h('input', { type: 'file', test: 'restore-file', accept: '.zip,.age,.archive,.gz' });
  const fileHint = h('span', { class: 'muted', test: 'restore-file-hint' },
    ` .zip or .zip.age (a Coffer archive), .archive or .archive.gz (mongodump --archive); at most ${bytes(session.uploadMaxBytes || 0)}, streamed to the storage below (S3) and removed after the restore`);
  const idInput = h('input', { test: 'restore-id', placeholder: 'backup id (coffer list, or a Backup\'s status)', value: params.get('id') || '', size: 44 });
  let templates = [];
  const fill = () => {
    const ok = [...store.backups.values()].filter(b => b.namespace === nsSel.value && b.phase === 'Succeeded')
      .sort((a, b) => (b.created || '').localeCompare(a.created || ''));
    backupSel.replaceChildren(h('option', { value: '' }, 'choose a backup'), ...ok.map(b => h('option', { value: b.name, selected: b.name === params.get('backup') },
      `${b.name} (${b.type}, ${b.size || '?'}, ${ago(b.completed)}${b.encrypted ? ', encrypted' : ''})`)));
  };
  const loadTemplates2 = async () => {
    // one entry per place a backup can lie in and go back to (many backups share one)
    const seen = new Set();
    templates = (await loadTemplates(nsSel.value).catch(e => { banner(e.message); return []; }))
      .filter(t => { const k = JSON.stringify([t.storage, t.mongodb, t.claims]); if (seen.has(k)) return false; seen.add(k); return true; });
    tplSel.replaceChildren(...templates.map((t, i) => h('option', { value: i }, `${t.storage} (as ${t.kind === 'BackupSchedule' ? 'schedule' : 'backup'} ${t.name} stores)`)));
    update();
  };
  fill(); nsSel.addEventListener('change', () => { fill(); if (srcSel.value !== 'backup') loadTemplates2(); else update(); });
  const mode = h('select', { test: 'restore-mode' }, h('option', { value: 'Merge' }, 'Merge: upsert documents, add and overwrite files, keep the rest'),
    h('option', { value: 'Replace' }, 'Replace: make each selected collection and tree exactly the backup\'s'));
  const modules = h('div', { class: 'checks', test: 'restore-modules' });
  const renameTo = h('input', { placeholder: 'e.g. erp_restored (empty: in place)', test: 'restore-rename' });
  const dbs = h('datalist', { id: 'restore-dbs' });
  const renameFrom = h('input', { test: 'restore-rename-from', list: 'restore-dbs', placeholder: 'database', size: 12 });
  const claims = h('div', { test: 'restore-claims' });
  const decSecret = h('input', { placeholder: 'Secret name', test: 'restore-secret' });
  const decKey = h('input', { placeholder: 'key', test: 'restore-key' });
  const decRow = h('span', {}, decSecret, ' ', decKey, h('span', { class: 'muted' }, ' (the restore Job reads it; the console never does)'));
  const which = h('span', {});
  const until = h('input', { test: 'restore-until', size: 26, placeholder: '2026-12-07T10:15:00Z' });
  const untilHint = h('span', { class: 'muted', test: 'restore-window' });
  // a moment needs the oplog archive in a storage: not for an uploaded file
  const untilLabel = h('label', {}, 'To a moment');
  const untilRow = h('span', {}, until, ' ', untilHint);
  const form = h('form', { class: 'panel', test: 'restore-form' }, h('div', { class: 'grid' },
    h('label', {}, 'Namespace'), nsSel, h('label', {}, 'From'), srcSel, h('label', {}, 'Backup'), which,
    untilLabel, untilRow, h('label', {}, 'Modules'), modules,
    h('label', {}, 'Into database'), h('span', {}, renameFrom, dbs, ' → ', renameTo), h('label', {}, 'File trees into'), claims,
    h('label', {}, 'Mode'), mode, h('label', {}, 'Key'), decRow));
  const result = h('div', { test: 'restore-result' });
  let preview = null;
  const byId = () => srcSel.value !== 'backup'; // by id or by upload: the template says where and into what
  const byUpload = () => srcSel.value === 'upload';
  const file = () => fileInput.files && fileInput.files[0];
  function chosen() { return store.backups.get(nsSel.value + '/' + backupSel.value); }
  function template() { return templates[tplSel.value]; }
  function label() { return byUpload() ? (file() ? file().name : '') : byId() ? idInput.value.trim() : backupSel.value; }
  function update() {
    preview = null; result.replaceChildren();
    which.replaceChildren(...(byUpload() ? [tplSel, h('br'), fileInput, fileHint] : byId() ? [tplSel, ' ', idInput] : [backupSel]));
    modules.replaceChildren(); claims.replaceChildren(); dbs.replaceChildren();
    const b = byId() ? null : chosen();
    const t = byId() ? template() : null;
    untilHint.replaceChildren();
    untilLabel.hidden = untilRow.hidden = byUpload();
    if (byUpload()) until.value = '';
    if (!b && !t) return;
    const sc = b && b.schedule ? store.schedules.get(b.namespace + '/' + b.schedule) : null;
    untilHint.append(sc && sc.pointInTime && sc.pointInTime.until
      ? `optional: any second from ${when(sc.pointInTime.from)} to ${when(sc.pointInTime.until)} (schedule ${sc.name}'s oplog archive); empty: the backup's own moment`
      : 'optional: with a schedule\'s oplog archive (spec.pointInTime), any second of its window; empty: the backup\'s own moment');
    const mods = b ? Object.keys((b.contents && b.contents.modules) || {}) : [];
    modules.append(...mods.map(m => h('label', {}, h('input', { type: 'checkbox', value: m, test: 'rmodule-' + m }), ' ', m)),
      mods.length ? h('span', { class: 'muted' }, '(none ticked: everything in the backup)') : h('span', { class: 'muted' }, 'everything in the backup'));
    const known = b ? ((b.contents && b.contents.databases) || []) : [];
    for (const d of known) dbs.append(h('option', { value: d }));
    if (!renameFrom.value && known.length) renameFrom.value = known[0];
    const trees = b ? (b.trees || []) : (t.trees || []);
    for (const tr of trees) claims.append(h('div', {}, tr + ' → ', h('input', { 'data-tree': tr, test: 'claim-' + tr,
      placeholder: b ? 'claim (empty: where it came from)' : 'claim (empty: not restored)', value: b || byUpload() ? '' : ((t.claims || {})[tr] || '') })));
    if (trees.length === 0) claims.append(h('span', { class: 'muted' }, 'no file trees'));
    decRow.hidden = !(b ? b.encrypted : byUpload() ? !!(file() && file().name.endsWith('.age')) : t.encrypted);
    const prev = [...store.restores.values()].filter(r => r.decryption && r.namespace === nsSel.value).sort((x, y) => (y.created || '').localeCompare(x.created || ''))[0];
    if (prev && !decSecret.value) { decSecret.value = prev.decryption.secret; decKey.value = prev.decryption.key; }
  }
  backupSel.addEventListener('change', update);
  tplSel.addEventListener('change', update);
  srcSel.addEventListener('change', () => { if (byId()) loadTemplates2(); else update(); });
  fileInput.addEventListener('change', () => { decRow.hidden = !(file() && file().name.endsWith('.age')); preview = null; result.replaceChildren(); });
  mode.addEventListener('change', () => { preview = null; result.replaceChildren(); });
  function body(dryRun, confirmText) {
    const rename = renameTo.value.trim() && renameFrom.value.trim() ? { [renameFrom.value.trim()]: renameTo.value.trim() } : {};
    const targetClaims = {};
    for (const i of claims.querySelectorAll('input[data-tree]')) if (i.value.trim()) targetClaims[i.dataset.tree] = i.value.trim();
    const tpl = () => ({ kind: template().kind, name: template().name });
    const from = byUpload() ? { upload: { fileName: file().name }, template: tpl() }
      : byId() ? { backupId: idInput.value.trim(), template: tpl() } : { backupName: chosen().name };
    return { ...from, mode: mode.value, dryRun, confirmText, renameDatabases: rename, targetClaims, pointInTime: until.value.trim(),
      modules: [...modules.querySelectorAll('input:checked')].map(i => i.value), decryptionSecret: decSecret.value, decryptionKey: decKey.value };
  }
  form.append(h('div', { class: 'toolbar' }, h('button', { class: 'primary', type: 'submit', test: 'preview' }, 'Preview (dry run)')));
  form.addEventListener('submit', async e => {
    e.preventDefault();
    if (byId() ? !(template() && label()) : !chosen()) {
      banner(byUpload() ? 'choose the storage to stage it in and the file to upload' : byId() ? 'choose where it lies and give its id' : 'choose a backup to restore'); return;
    }
    if (byUpload() && file().size > (session.uploadMaxBytes || 0)) {
      banner(`the file is ${bytes(file().size)}, more than the ${bytes(session.uploadMaxBytes)} this console accepts: restore it with kubectl (spec.source.upload)`); return;
    }
    const r = await act(byUpload() ? 'Restore created: uploading the file…' : 'Computing the plan…', () => api('POST', `/api/namespaces/${nsSel.value}/restores`, body(true)));
    if (!r) return;
    const ns = nsSel.value;
    if (byUpload()) {
      const f = file();
      const ok = await uploadFile(ns, r.name, f, result);
      if (!ok) return;
      const real = body(false);
      real.upload = { fromRestore: r.name, label: f.name };
      preview = { ns, name: r.name, body: real, label: f.name };
    } else preview = { ns, name: r.name, body: body(false), label: label() };
    showResult();
  });
  let shown = null;
  function showResult() {
    if (!preview) return;
    const r = store.restores.get(preview.ns + '/' + preview.name);
    // redraw only when the restore changed: a redraw would clear the typed confirmation
    const sig = JSON.stringify([preview.name, r && r.phase, r && r.plan, r && r.progress, r && r.waitingFor, r && r.lastError]);
    if (sig === shown) return;
    shown = sig;
    result.replaceChildren(planPanel(r, preview, () => chosen()));
  }
  liveParts.restorePlan = () => { showResult(); return null; };
  result.setAttribute('data-live', 'restorePlan');
  wrap.append(form, result);
  if (byId()) loadTemplates2(); else update();
  return wrap;
}
// the file, streamed to the console (which streams it on to the storage), with its progress; true once it is in place
function uploadFile(ns, name, f, into) {
  const bar = h('div', { class: 'bar' }, progressBar(0));
  const pct = h('span', { test: 'upload-percent' }, '0 %');
  into.replaceChildren(h('div', { class: 'panel', test: 'upload' }, h('p', {}, `Uploading ${f.name} (${bytes(f.size)}) for Restore ${name}… `), h('div', { class: 'toolbar' }, bar, pct)));
  return new Promise(done => {
    const x = new XMLHttpRequest();
    x.open('PUT', `/api/namespaces/${ns}/restores/${encodeURIComponent(name)}/upload`);
    x.setRequestHeader('X-Coffer-Console', '1');
    x.setRequestHeader('Content-Type', 'application/octet-stream');
    x.upload.onprogress = e => { if (e.lengthComputable) { const p = 100 * e.loaded / e.total; bar.replaceChildren(progressBar(p)); pct.textContent = Math.round(p) + ' %'; } };
    x.onload = () => {
      if (x.status >= 200 && x.status < 300) { banner(`${f.name} uploaded: computing the plan…`, true); done(true); return; }
      let msg = x.status + ' ' + x.statusText;
      try { msg = JSON.parse(x.responseText).error || msg; } catch (e) { /* not JSON */ }
      banner('The upload failed: ' + msg);
      into.replaceChildren(h('p', { class: 'error', test: 'upload-error' }, 'The upload failed: ' + msg));
      done(false);
    };
    x.onerror = () => { banner('The upload failed: the connection to the console broke'); done(false); };
    x.send(f);
  });
}
function planPanel(r, preview, chosen) {
  const panel = h('div', { class: 'panel' });
  if (!r || !r.phase || r.phase === 'Pending' || r.phase === 'Running') {
    panel.append(h('p', { test: 'plan-wait' }, 'Reading the backup and the target to compute the plan… ', r && r.progress ? Math.round(r.progress.percent || 0) + ' %' : ''));
    return panel;
  }
  if (r.phase === 'Failed') { panel.append(h('p', { class: 'error', test: 'plan-error' }, 'The preview failed: ' + (r.lastError || '')), h('a', { href: `#/logs?kind=restores&name=${r.name}&namespace=${r.namespace}` }, 'its log')); return panel; }
  if (!r.dryRun) return runPanel(r);
  const plan = r.plan || [];
  const replaced = plan.filter(p => p.action && /replace|drop|overwrite/i.test(p.action));
  panel.append(h('h2', {}, 'The plan'), h('table', { test: 'plan' }, h('thead', {}, h('tr', {}, ['What', 'From', 'Into', 'Size', 'Action'].map(t => h('th', {}, t)))),
    h('tbody', {}, plan.map(p => h('tr', {}, h('td', {}, p.kind), h('td', {}, p.source), h('td', {}, p.target),
      h('td', {}, p.documents !== null && p.documents !== undefined ? p.documents + ' documents' : p.files !== null && p.files !== undefined ? p.files + ' files' : '', p.bytes ? ' · ' + bytes(p.bytes) : ''),
      h('td', {}, badge(p.action, /replace|drop/i.test(p.action || '') ? 'Failed' : 'plain')))))));
  const replace = preview.body.mode === 'Replace';
  const warnings = [];
  if (replace) warnings.push(`Replace drops every selected collection and file tree in the target and writes the backup's in its place: ${plan.length} item(s) above. What is there now and not in the backup is lost.`);
  if (replaced.length && !replace) warnings.push(`${replaced.length} item(s) already exist in the target and will be overwritten where the backup has the same documents or files.`);
  if (!preview.body.renameDatabases || Object.keys(preview.body.renameDatabases).length === 0) warnings.push('This restores in place, into the database the backup came from. Restore into another database first if you only want to look.');
  warnings.push('Applications writing to the target while it runs may see a mix of old and new data: stop them, or restore elsewhere.');
  panel.append(...warnings.map(w => h('div', { class: 'warning', test: 'warning' }, '⚠ ' + w)));
  const typed = h('input', { test: 'confirm-text', placeholder: replace ? 'type ' + preview.label : '' });
  const go = h('button', { class: replace ? 'danger' : 'primary', test: 'start-restore', disabled: replace }, replace ? 'Replace the target' : 'Start the restore');
  if (replace) {
    typed.addEventListener('input', () => { go.disabled = typed.value !== preview.label; });
    panel.append(h('p', {}, 'To confirm the Replace, type ' + (preview.body.upload ? 'the file\'s name' : preview.body.backupId ? 'the backup id' : 'the backup\'s name') + ', ', h('b', {}, preview.label), ':'), typed);
  }
  go.addEventListener('click', async () => {
    const r2 = await act('Restore started', () => api('POST', `/api/namespaces/${preview.ns}/restores`, { ...preview.body, confirmText: typed.value }));
    if (r2) { preview.name = r2.name; const res = panel.parentNode; if (res) res.replaceChildren(runPanel(store.restores.get(preview.ns + '/' + r2.name) || r2)); }
  });
  panel.append(h('div', { class: 'toolbar' }, go));
  return panel;
}
function runPanel(r) {
  const panel = h('div', { class: 'panel', test: 'restore-run' });
  panel.append(h('h2', {}, 'Restore ' + r.name), h('div', { class: 'toolbar' }, badge(phaseOf(r)),
    r.progress && r.phase === 'Running' ? [h('div', { class: 'bar' }, progressBar(r.progress.percent || 0)), Math.round(r.progress.percent || 0) + ' % ', r.progress.item || ''] : null,
    r.waitingFor ? h('span', { class: 'muted' }, 'waiting for ' + r.waitingFor) : null,
    r.phase === 'Succeeded' ? `restored ${r.collections || 0} collections, ${r.documents || 0} documents, ${r.files || 0} files in ${r.duration || '?'}` : null,
    r.phase === 'Succeeded' && r.consistency ? h('span', { class: 'muted', test: 'restore-moment' },
      r.consistency === 'PointInTime' ? ' · one moment of the source: ' + when(r.consistentAt) + (r.consistencyReason ? ' (' + r.consistencyReason + ')' : '')
        : ' · not one moment (' + (r.consistencyReason || '') + ')') : null,
    r.phase === 'Succeeded' && r.pointInTime ? h('span', { class: 'muted', test: 'restore-replayed' },
      ` · from backup ${r.pointInTime.base} and ${r.pointInTime.entries} oplog entries of ${r.pointInTime.slices} archived slices`) : null,
    r.lastError ? h('span', { class: 'error' }, r.lastError) : null),
    h('a', { href: `#/logs?kind=restores&name=${encodeURIComponent(r.name)}&namespace=${r.namespace}`, test: 'restore-log' }, 'The restore log'));
  return panel;
}

// ---- start ----
async function start() {
  try {
    session = await api('GET', '/api/session');
  } catch (e) {
    document.getElementById('who').textContent = 'not signed in';
    document.getElementById('main').replaceChildren(h('p', { class: 'error', test: 'fatal' }, e.message));
    return;
  }
  const roles = [];
  const n0 = session.namespaces[0];
  if (can(n0, 'createRestore')) roles.push('may restore'); else if (can(n0, 'createBackup')) roles.push('may back up'); else roles.push('read only');
  document.getElementById('who').textContent = `${session.user} · ${session.namespaces.join(', ')} · ${roles.join(', ')}`;
  connect();
  setInterval(() => rerender(), 30000); // relative times ("5 min ago"); the data itself arrives by watch
}
start();
