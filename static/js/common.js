/* Shared helpers for every page: page config, labels, number formats, DOM building, fetch with CSRF.
 * Plain modern JavaScript, no build step. Everything user-visible goes through textContent, never
 * innerHTML with data, so names typed by users cannot inject markup. */
(function () {
  'use strict';

  const el = document.getElementById('page-config');
  const CFG = el ? JSON.parse(el.textContent) : { locale: document.documentElement.lang || 'en', labels: {} };
  const LABELS = CFG.labels || {};
  const MSG = LABELS.messages || {};

  const formats = {};
  function nf(digits) {
    const key = String(digits);
    if (!formats[key]) {
      formats[key] = new Intl.NumberFormat(CFG.locale, { maximumFractionDigits: digits, minimumFractionDigits: 0 });
    }
    return formats[key];
  }

  /** A number for people, in the page's locale; '–' when missing. */
  function num(value, digits) {
    if (value === null || value === undefined || value === '' || Number.isNaN(Number(value))) return '–';
    return nf(digits === undefined ? 0 : digits).format(Number(value));
  }

  /** Short form for big numbers: 36.7M (en), 3669.1万 (zh). */
  function compact(value) {
    if (value === null || value === undefined) return '–';
    if (Math.abs(value) < 10000) return num(value);
    return new Intl.NumberFormat(CFG.locale, { notation: 'compact', maximumFractionDigits: 1 }).format(value);
  }

  function t(key) { return MSG[key] || key; }
  function label(table, key) {
    const tab = LABELS[table] || {};
    return tab[key] || key || '';
  }
  function unit(u) { return label('units', u); }

  /** h('div', {class: 'x', dataset: {id: 1}, onclick: fn}, 'text', child, ...) */
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'dataset') Object.assign(node.dataset, v);
      else if (k === 'style') node.style.cssText = v;
      else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : '';
  }

  async function getJSON(url) {
    const resp = await fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
    if (!resp.ok) throw new Error(url + ': HTTP ' + resp.status);
    return resp.json();
  }

  /** POST JSON with the CSRF header; resolves to {ok, status, body}. */
  async function postJSON(url, body) {
    const resp = await fetch(url, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': csrfToken() },
      body: JSON.stringify(body || {}),
    });
    let data = null;
    try { data = await resp.json(); } catch (e) { data = null; }
    return { ok: resp.ok, status: resp.status, body: data };
  }

  function errorText(result) {
    const err = result && result.body && result.body.error;
    return err ? err.message : t('failed') + ' (HTTP ' + (result ? result.status : '?') + ')';
  }

  /** Click-to-sort for any <table class="sortable">: numbers by data-value, text by locale. */
  function makeSortable(table) {
    const head = table.tHead;
    if (!head) return;
    const collator = new Intl.Collator(CFG.locale, { numeric: true });
    Array.from(head.rows[0].cells).forEach((th, index) => {
      if (th.dataset.sort === 'none') return;
      th.tabIndex = 0;
      th.setAttribute('role', 'button');
      const sort = () => {
        const asc = th.getAttribute('aria-sort') !== 'ascending';
        Array.from(head.rows[0].cells).forEach((c) => c.removeAttribute('aria-sort'));
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        const body = table.tBodies[0];
        const rows = Array.from(body.rows);
        const key = (row) => {
          const cell = row.cells[index];
          const v = cell.dataset.value;
          return v !== undefined && v !== '' && !Number.isNaN(Number(v)) ? Number(v) : cell.textContent.trim();
        };
        rows.sort((a, b) => {
          const x = key(a); const y = key(b);
          const r = (typeof x === 'number' && typeof y === 'number') ? x - y : collator.compare(String(x), String(y));
          return asc ? r : -r;
        });
        rows.forEach((r) => body.appendChild(r));
      };
      th.addEventListener('click', sort);
      th.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); } });
    });
  }

  document.addEventListener('DOMContentLoaded', () => {
    document.querySelectorAll('table.sortable').forEach(makeSortable);
    document.querySelectorAll('form[data-confirm]').forEach((form) => form.addEventListener('submit', (e) => {
      if (!window.confirm(form.dataset.confirm)) e.preventDefault();
    }));
  });

  window.X = { CFG, t, label, unit, num, compact, h, getJSON, postJSON, errorText, csrfToken, makeSortable };
}());
