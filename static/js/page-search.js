/* Search page: pick the site on the map, show the radius and the results. */
(function () {
  'use strict';
  const { CFG, t, label } = window.X;
  const form = document.getElementById('search-form');
  const lat = document.getElementById('lat');
  const lon = document.getElementById('lon');
  const details = new window.ExchangeDetails(document.getElementById('details'), {
    lookup: (id) => em.propsOf(id),
    onListing: (id) => details.showListing(id), onLink: (id) => details.showLink(id),
  });
  const em = new window.ExchangeMap('map', { onListing: (id) => details.showListing(id) });
  window.exchangeMap = em;
  let origin = null;
  let circle = null;

  function drawOrigin(a, b, radiusKm) {
    if (origin) origin.remove();
    if (circle) circle.remove();
    origin = L.circleMarker([a, b], { radius: 7, color: '#111', weight: 2, fillColor: '#fff', fillOpacity: 1 })
      .bindTooltip(t('your_site')).addTo(em.map);
    if (radiusKm) {
      circle = L.circle([a, b], { radius: radiusKm * 1000, color: '#0f766e', weight: 1.5, dashArray: '4 4',
        fillOpacity: 0.05, interactive: false }).addTo(em.map);
    }
  }
  em.map.on('click', (e) => {
    lat.value = e.latlng.lat.toFixed(5);
    lon.value = e.latlng.lng.toFixed(5);
    drawOrigin(e.latlng.lat, e.latlng.lng, Number(form.radius_km.value) || 0);
  });
  const site = document.getElementById('site-choice');
  if (site) site.addEventListener('change', () => {
    if (!site.value) return;
    const [a, b] = site.value.split(',').map(Number);
    lat.value = a; lon.value = b;
    drawOrigin(a, b, Number(form.radius_km.value) || 0);
  });

  // the quality label and the unit follow the choices
  const qLabel = document.getElementById('quality-label');
  form.addEventListener('change', () => {
    const looking = form.querySelector('input[name="looking_for"]:checked').value;
    qLabel.textContent = qLabel.dataset[looking];
    const m = (CFG.materials || []).find((x) => x.key === form.material.value);
    if (m) document.getElementById('qty-unit').textContent = label('units', m.canonical_unit);
  });

  document.querySelectorAll('a.show-listing').forEach((a) => a.addEventListener('click', (e) => {
    e.preventDefault();
    const raw = a.dataset.listingId;
    details.showListing(/^\d+$/.test(raw) ? Number(raw) : raw);
  }));

  em.loadBase().then(async () => {
    const results = CFG.results || [];
    await em.setListings({ type: 'FeatureCollection', features: results.map((r) => ({
      type: 'Feature', id: r.id ?? r.key, geometry: { type: 'Point', coordinates: [r.lon, r.lat] }, properties: r })) });
    if (CFG.origin) {
      drawOrigin(CFG.origin.lat, CFG.origin.lon, CFG.origin.radius_km);
      em.map.fitBounds(circle.getBounds().pad(0.05));
    }
    document.body.dataset.ready = 'true';
  });
}());
