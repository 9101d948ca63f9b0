/* Register / edit a listing: the quality field follows the material, units suggested, location picker. */
(function () {
  'use strict';
  const { CFG, t } = window.X;
  const form = document.getElementById('listing-form');
  const material = form.querySelector('#material');
  const options = Object.fromEntries((CFG.materials || []).map((m) => [m.key, m]));

  function syncMaterial() {
    const m = options[material.value];
    if (!m) return;
    form.querySelectorAll('.q').forEach((el) => { el.hidden = !el.classList.contains('q-' + m.quality); });
    form.querySelectorAll('.heat-only').forEach((el) => { el.hidden = m.key !== 'waste_heat'; });
    const list = document.getElementById('unit-options');
    list.replaceChildren(...m.units.map((u) => Object.assign(document.createElement('option'), { value: u })));
    const unit = document.getElementById('unit');
    if (!unit.value) unit.value = m.canonical_unit;
  }
  material.addEventListener('change', () => { document.getElementById('unit').value = ''; syncMaterial(); });
  syncMaterial();

  /* location picker */
  const em = new window.ExchangeMap('map', {});
  const lat = document.getElementById('lat');
  const lon = document.getElementById('lon');
  let marker = null;
  function place(latlng, pan) {
    if (!marker) {
      marker = L.marker(latlng, { draggable: true, keyboard: true, title: t('picked') }).addTo(em.map);
      marker.on('dragend', () => { const p = marker.getLatLng(); write(p); });
    } else {
      marker.setLatLng(latlng);
    }
    if (pan) em.map.setView(latlng, Math.max(em.map.getZoom(), 9));
  }
  function write(p) {
    lat.value = p.lat.toFixed(5);
    lon.value = p.lng.toFixed(5);
    form.dataset.picked = 'true';
  }
  em.map.on('click', (e) => { place(e.latlng, false); write(e.latlng); });
  function fromInputs() {
    const a = Number(lat.value); const b = Number(lon.value);
    if (lat.value && lon.value && Number.isFinite(a) && Number.isFinite(b) && Math.abs(a) <= 90 && Math.abs(b) <= 180) {
      place([a, b], true);
    }
  }
  lat.addEventListener('change', fromInputs);
  lon.addEventListener('change', fromInputs);
  em.map.getContainer().style.cursor = 'crosshair';
  em.loadBase().then(() => { fromInputs(); document.body.dataset.ready = 'true'; });
}());
