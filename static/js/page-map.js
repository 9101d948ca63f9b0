/* The route map page: load listings and links, filters, details pane, focus after registering. */
(function () {
  'use strict';
  const { CFG, t, num, getJSON } = window.X;

  const details = new window.ExchangeDetails(document.getElementById('details'), {
    lookup: (id) => em.propsOf(id),
    onLink: (id) => openLink(id), onListing: (id) => openListing(id),
    onChanged: () => reload(), onClose: () => em.clearSelection(),
  });
  const em = new window.ExchangeMap('map', { onListing: (id) => openListing(id), onLink: (id) => openLink(id) });
  window.exchangeMap = em;

  function openLink(id) { em.highlightLink(id); return details.showLink(id); }
  function openListing(id) { em.highlightListing(id); return details.showListing(id); }

  const form = document.getElementById('filters');
  function readFilter() {
    const set = (name) => new Set(Array.from(form.querySelectorAll('input[name="' + name + '"]:checked')).map((i) => i.value));
    return { materials: set('material'), roles: set('role'), statuses: set('status'),
      park: form.querySelector('[name="park"]').value };
  }
  function showCounts() {
    const s = em.stats();
    document.getElementById('count-markers').textContent = num(s.markers);
    document.getElementById('count-lines').textContent = num(s.lines);
    document.getElementById('counts').dataset.markers = s.markers;
    document.getElementById('counts').dataset.lines = s.lines;
  }
  async function applyFilter() {
    const f = readFilter();
    await em.setFilter(f);
    if (f.park) em.fitPark(f.park, boundsOfPark(f.park));
    showCounts();
    document.body.dataset.filtered = String(Date.now());
  }
  function boundsOfPark(key) {
    const pts = em.listings.filter((x) => x.properties.park === key).map((x) => [x.geometry.coordinates[1], x.geometry.coordinates[0]]);
    return pts.length ? L.latLngBounds(pts).pad(0.3) : null;
  }
  form.addEventListener('change', applyFilter);

  const status = document.getElementById('map-status');
  async function reload() {
    const [listings, links] = await Promise.all([getJSON(CFG.urls.listings), getJSON(CFG.urls.links)]);
    em.setLinks(links);
    em.filter = Object.assign(em.filter, readFilter());
    em._drawLinks();
    await em.setListings(listings);
    showCounts();
  }

  async function start() {
    status.hidden = false;
    status.textContent = t('loading');
    try {
      await em.loadBase();
      await reload();
      status.hidden = true;
      if (CFG.focus) {
        const m = await em.focusListing(CFG.focus);
        if (m) await openListing(CFG.focus);
      }
      document.body.dataset.ready = 'true';
    } catch (err) {
      status.textContent = t('load_failed');
      status.classList.add('error');
      throw err;
    }
  }

  const toggle = document.getElementById('sidebar-toggle');
  if (toggle) toggle.addEventListener('click', () => document.body.classList.toggle('sidebar-open'));

  window.RunMatcher.wire(async () => { await reload(); });
  start();
}());
