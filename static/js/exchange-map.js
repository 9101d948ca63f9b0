/* The exchange map: offline base layer (province, cities, parks), clustered listings, link lines,
 * filters, and the details pane. Used by the map, park, search and listing-form pages.
 *
 * Coordinates from the server are GeoJSON [lon, lat]; Leaflet takes [lat, lon]. */
(function () {
  'use strict';
  const { CFG, t, label, unit, num, h, getJSON, postJSON, errorText } = window.X;

  const SHANDONG = [[34.35, 114.75], [38.45, 122.75]];
  const STATUS_STYLE = {
    proposed: { dashArray: '7 6', opacity: 0.8 },
    interest: { dashArray: '2 5', opacity: 0.9 },
    accepted: { dashArray: '12 4', opacity: 0.95 },
    approved: { dashArray: null, opacity: 1 },
    active: { dashArray: null, opacity: 1 },
    ended: { dashArray: '1 6', opacity: 0.5, color: '#8a8f98' },
    declined: { dashArray: '1 6', opacity: 0.5, color: '#8a8f98' },
    rejected: { dashArray: '1 6', opacity: 0.6, color: '#8a8f98' },
  };

  function colour(material) { return (CFG.colours || {})[material] || '#555'; }

  /** "1,200 t/yr", or "1,000–2,000 t/yr" for a quantity shown as a band. */
  function qty(p) {
    if (p.quantity !== null && p.quantity !== undefined) return num(p.quantity) + ' ' + unit(p.unit);
    const b = p.quantity_band;
    if (b) return num(b.min) + '–' + num(b.max) + ' ' + unit(p.unit);
    return '–';
  }
  function qtyValue(p) {
    if (p.quantity !== null && p.quantity !== undefined) return Number(p.quantity) || 0;
    return p.quantity_band ? Number(p.quantity_band.max) || 0 : 0;
  }

  /** A listing drawn on the shared canvas: a circle for a source, a diamond for a sink.
   * Canvas rather than one DOM element per marker keeps 20,000 listings smooth. */
  const ListingMarker = L.CircleMarker.extend({
    _updatePath() {
      const r = this._renderer;
      if (this.options.shape !== 'diamond' || !r._ctx) {
        L.CircleMarker.prototype._updatePath.call(this);
        return;
      }
      if (!r._drawing || this._empty()) return;
      const p = this._point, ctx = r._ctx, d = Math.max(Math.round(this._radius * 1.3), 1);
      ctx.beginPath();
      ctx.moveTo(p.x, p.y - d); ctx.lineTo(p.x + d, p.y); ctx.lineTo(p.x, p.y + d); ctx.lineTo(p.x - d, p.y);
      ctx.closePath();
      r._fillStroke(ctx, this);
    },
  });

  /** Cluster icon: the count inside a ring whose segments show the materials in the cluster. */
  function clusterIcon(cluster) {
    const counts = {};
    const children = cluster.getAllChildMarkers();
    for (const m of children) counts[m.options.material] = (counts[m.options.material] || 0) + 1;
    const total = children.length;
    let at = 0;
    const stops = [];
    for (const [mat, n] of Object.entries(counts).sort()) {
      const from = (at / total) * 360; at += n;
      const to = (at / total) * 360;
      stops.push(colour(mat) + ' ' + from.toFixed(1) + 'deg ' + to.toFixed(1) + 'deg');
    }
    const size = total < 10 ? 32 : total < 100 ? 38 : total < 1000 ? 44 : 50;
    return L.divIcon({
      html: '<div class="cl-ring" style="background:conic-gradient(' + stops.join(',') + ')"><span>' +
        num(total) + '</span></div>',
      className: 'cl', iconSize: [size, size],
    });
  }

  class ExchangeMap {
    constructor(elementId, opts) {
      this.opts = Object.assign({ onListing: null, onLink: null, park: null }, opts || {});
      this.map = L.map(elementId, { zoomControl: true, minZoom: 5, maxZoom: 18, worldCopyJump: false,
        attributionControl: true, zoomSnap: 0.25 });
      this.map.attributionControl.setPrefix(false);
      this.map.fitBounds(SHANDONG);
      this.map.createPane('base');
      this.map.getPane('base').style.zIndex = 250;
      this.map.createPane('parks');
      this.map.getPane('parks').style.zIndex = 300;
      this.map.createPane('labels');
      this.map.getPane('labels').style.zIndex = 350;
      this.map.getPane('labels').style.pointerEvents = 'none';
      if (CFG.tileUrl) {
        L.tileLayer(CFG.tileUrl, { attribution: CFG.tileAttribution || '', maxZoom: 18 }).addTo(this.map);
      }
      // one canvas for lines and markers, so that both stay clickable (markers drawn on top)
      this.renderer = L.canvas({ padding: 0.3, tolerance: 5 });
      this.cluster = L.markerClusterGroup({
        chunkedLoading: true, chunkInterval: 120, chunkDelay: 20,
        showCoverageOnHover: false, spiderfyOnMaxZoom: true,
        // wide groups at province and city zoom keep the number of cluster elements low; close up, plants separate
        maxClusterRadius: (zoom) => (zoom <= 11 ? 70 : zoom <= 13 ? 50 : 35),
        iconCreateFunction: clusterIcon,
        chunkProgress: (done, total) => this._chunkProgress(done, total),
      });
      this.cluster.addTo(this.map);
      this.linkLayer = L.layerGroup().addTo(this.map);
      this.selection = L.layerGroup().addTo(this.map);
      this.listings = [];
      this.markers = new Map();
      this.links = [];
      this.lines = new Map();
      this.filter = { materials: null, roles: null, statuses: null, park: '' };
      this._pending = null;
    }

    /** Province, city and park outlines; resolves when drawn. */
    async loadBase() {
      const base = await getJSON(CFG.urls.base);
      const zh = CFG.locale.startsWith('zh');
      L.geoJSON(base.province, { pane: 'base', interactive: false,
        style: { color: '#5b6b7b', weight: 1.6, fillColor: '#ffffff', fillOpacity: 1 } }).addTo(this.map);
      this.cityLabels = L.layerGroup();
      this.parkLayers = {};
      const zone = (this.opts.park || '').startsWith('city-') ? this.opts.park.slice(5) : null;
      L.geoJSON(base.cities, { pane: 'base', interactive: false,
        style: (f) => (f.properties.adcode === zone
          ? { color: '#b7791f', weight: 2.5, dashArray: '5 4', fill: true, fillColor: '#f6c453', fillOpacity: 0.12 }
          : { color: '#aab6c2', weight: 0.8, fill: false }),
        onEachFeature: (f, layer) => {
          if (f.properties.adcode === zone) this.parkLayers[this.opts.park] = layer;
          const p = f.properties || {};
          if (p.label_point) {
            this.cityLabels.addLayer(L.marker([p.label_point[1], p.label_point[0]], {
              interactive: false, keyboard: false, pane: 'base',
              icon: L.divIcon({ className: 'city-label', html: '', iconSize: null }),
            }).bindTooltip(zh ? p.name_zh : p.name_en,
              { permanent: true, direction: 'center', className: 'city-tip', pane: 'labels' }));
          }
        } }).addTo(this.map);
      this.parkLabels = L.layerGroup().addTo(this.map);
      L.geoJSON(base.parks, { pane: 'parks', interactive: false,
        style: (f) => ({ color: '#b7791f', weight: f.properties.key === this.opts.park ? 2.5 : 1.5, dashArray: '5 4',
          fillColor: '#f6c453', fillOpacity: f.properties.key === this.opts.park ? 0.28 : 0.16 }),
        onEachFeature: (f, layer) => {
          this.parkLayers[f.properties.key] = layer;
          // the name sits at the outline's north-west corner, clear of the markers inside
          const b = layer.getBounds();
          this.parkLabels.addLayer(L.marker([b.getNorth(), b.getWest()], {
            interactive: false, keyboard: false, pane: 'labels',
            icon: L.divIcon({ className: 'city-label', html: '', iconSize: null }),
          }).bindTooltip(zh ? f.properties.name_zh : f.properties.name_en,
            { permanent: true, direction: 'right', offset: [-4, 12], className: 'park-tip', pane: 'labels' }));
        } }).addTo(this.map);
      const toggleLabels = () => {
        const z = this.map.getZoom();
        if (z >= 8) this.cityLabels.addTo(this.map); else this.cityLabels.remove();
        this.map.getContainer().classList.toggle('show-park-labels', z >= 9);
      };
      this.map.on('zoomend', toggleLabels);
      toggleLabels();
      return base;
    }

    /** Fit the view to a park (a named park's outline, or a city zone's). */
    fitPark(key, bounds) {
      const layer = this.parkLayers && this.parkLayers[key];
      if (layer) this.map.fitBounds(layer.getBounds().pad(0.35));
      else if (bounds) this.map.fitBounds(bounds);
    }

    _chunkProgress(done, total) {
      if (done >= total && this._pending) {
        const resolve = this._pending;
        this._pending = null;
        resolve();
      }
    }

    _marker(f) {
      let m = this.markers.get(f.id);
      if (!m) {
        const p = f.properties;
        const [lon, lat] = f.geometry.coordinates;
        m = new ListingMarker([lat, lon], {
          renderer: this.renderer, radius: 6.5, shape: p.role === 'sink' ? 'diamond' : 'circle',
          color: '#ffffff', weight: 2, opacity: 1, fillColor: colour(p.material), fillOpacity: 1,
          material: p.material, listingId: f.id, bubblingMouseEvents: false,
        });
        m.on('click', () => this.opts.onListing && this.opts.onListing(f.id));
        m.once('mouseover', () => {  // tooltips on demand: 20,000 of them up front would be waste
          const who = p.organisation || t('anonymous');
          m.bindTooltip(who + ' · ' + label('materials', p.material) + ' · ' + label('roles', p.role),
            { direction: 'top', offset: [0, -6] }).openTooltip();
        });
        this.markers.set(f.id, m);
      }
      return m;
    }

    _listingVisible(p) {
      const f = this.filter;
      if (f.materials && !f.materials.has(p.material)) return false;
      if (f.roles && !f.roles.has(p.role)) return false;
      if (f.park && p.park !== f.park) return false;
      return true;
    }

    _linkVisible(p) {
      const f = this.filter;
      if (f.materials && !f.materials.has(p.material)) return false;
      if (f.statuses && !f.statuses.has(p.status)) return false;
      if (f.park && !(p.parks || []).includes(f.park)) return false;
      return true;
    }

    /** Replace the listings; resolves once every marker is clustered. */
    setListings(fc) {
      this.listings = fc.features || [];
      this.markers = new Map();
      return this._drawListings();
    }

    _drawListings() {
      const shown = this.listings.filter((f) => this._listingVisible(f.properties)).map((f) => this._marker(f));
      this.cluster.clearLayers();
      if (!shown.length) return Promise.resolve();
      const done = new Promise((resolve) => { this._pending = resolve; });
      this.cluster.addLayers(shown);
      return done;
    }

    setLinks(fc) {
      this.links = fc.features || [];
      this.lines = new Map();
      this.maxQuantity = {};
      for (const f of this.links) {
        const p = f.properties;
        this.maxQuantity[p.material] = Math.max(this.maxQuantity[p.material] || 0, qtyValue(p));
      }
      this.linkLayer.clearLayers();
      this._drawLinks();
    }

    _lineStyle(p) {
      const st = STATUS_STYLE[p.status] || STATUS_STYLE.proposed;
      const top = this.maxQuantity[p.material] || 1;
      const q = qtyValue(p);
      return { color: st.color || colour(p.material), weight: 1.5 + 6.5 * Math.sqrt(Math.max(q, 0) / top),
        opacity: st.opacity, dashArray: st.dashArray, lineCap: 'round', renderer: this.renderer };
    }

    _line(f) {
      let line = this.lines.get(f.id);
      if (!line) {
        const p = f.properties;
        const latlngs = f.geometry.coordinates.map(([lon, lat]) => [lat, lon]);
        line = L.polyline(latlngs, this._lineStyle(p));
        line.linkId = f.id;
        line.on('click', (e) => { L.DomEvent.stop(e); this.opts.onLink && this.opts.onLink(f.id); });
        line.on('mouseover', () => line.setStyle({ weight: this._lineStyle(p).weight + 2.5 }));
        line.on('mouseout', () => line.setStyle({ weight: this._lineStyle(p).weight }));
        line.bindTooltip(label('materials', p.material) + ' · ' + qty(p) +
          ' · ' + label('statuses', p.status), { sticky: true, className: 'line-tip' });
        this.lines.set(f.id, line);
      }
      return line;
    }

    _drawLinks() {
      for (const f of this.links) {
        const line = this._line(f);
        const want = this._linkVisible(f.properties);
        const has = this.linkLayer.hasLayer(line);
        if (want && !has) {
          this.linkLayer.addLayer(line);
          line.bringToBack();  // under the markers on the shared canvas
        } else if (!want && has) {
          this.linkLayer.removeLayer(line);
        }
      }
    }

    /** Filters: sets of allowed values (null = all) and a park key ('' = all). */
    setFilter(filter) {
      Object.assign(this.filter, filter);
      this._drawLinks();
      return this._drawListings();
    }

    /** Whether a listing's own marker is drawn now (not hidden in a cluster). */
    markerShown(id) {
      const m = this.markers.get(id);
      return Boolean(m && m._map);
    }

    /** What the clusters show in the current view: single markers and listings grouped in clusters. */
    onScreen() {
      const view = this.map.getBounds();
      let singles = 0, grouped = 0, clusters = 0;
      this.cluster._featureGroup.eachLayer((layer) => {
        if (!view.contains(layer.getLatLng())) return;
        if (layer instanceof L.MarkerCluster) { grouped += layer.getChildCount(); clusters += 1; }
        else singles += 1;
      });
      return { singles, grouped, clusters };
    }

    /** The properties of a listing on the map (by id or anonymous key). */
    propsOf(id) {
      const f = this.listings.find((x) => x.id === id);
      return f ? f.properties : null;
    }

    stats() {
      return { markers: this.cluster.getLayers().length, lines: this.linkLayer.getLayers().length,
        listings: this.listings.length, links: this.links.length };
    }

    /** Outline the selected link in black under its colour. */
    highlightLink(id) {
      this.selection.clearLayers();
      const f = this.links.find((x) => x.id === id);
      if (!f) return;
      const latlngs = f.geometry.coordinates.map(([lon, lat]) => [lat, lon]);
      const w = this._lineStyle(f.properties).weight;
      L.polyline(latlngs, { color: '#111', weight: w + 7, opacity: 0.3, interactive: false,
        renderer: this.renderer }).addTo(this.selection).bringToBack();  // a halo under the line
    }

    /** A dark ring around the selected listing's marker. */
    highlightListing(id) {
      this.selection.clearLayers();
      const m = this.markers.get(id);
      if (!m) return;
      L.circleMarker(m.getLatLng(), { radius: 12, color: '#111', weight: 2.5, fill: false, interactive: false,
        renderer: this.renderer }).addTo(this.selection);  // a ring around the marker
    }

    clearSelection() { this.selection.clearLayers(); }

    /** Zoom until the listing's marker is out of its cluster; resolves with the marker. */
    focusListing(id) {
      const m = this.markers.get(id);
      if (!m) return Promise.resolve(null);
      return new Promise((resolve) => this.cluster.zoomToShowLayer(m, () => resolve(m)));
    }

    /** Page coordinates of a link's midpoint (tests click there). */
    linkPoint(id) {
      const f = this.links.find((x) => x.id === id);
      if (!f) return null;
      const [[lon1, lat1], [lon2, lat2]] = f.geometry.coordinates;
      const pt = this.map.latLngToContainerPoint([(lat1 + lat2) / 2, (lon1 + lon2) / 2]);
      const box = this.map.getContainer().getBoundingClientRect();
      return { x: box.left + pt.x, y: box.top + pt.y };
    }
  }

  /* ---------------------------------------------------------------- details pane */

  function row(dl, term, ...value) {
    dl.appendChild(h('dt', null, term));
    dl.appendChild(h('dd', null, ...value));
  }

  function qualityText(q) {
    if (!q) return '–';
    return Object.entries(q).map(([k, v]) => label('quality', k) + ' ' +
      (typeof v === 'number' ? num(v, 2) : v)).join(', ');
  }

  function who(listing) {
    if (listing.access === 'withheld') return t('withheld');
    if (listing.organisation) return listing.organisation;
    return t('anonymous') + (listing.key ? ' ' + String(listing.key).slice(-4) : '');
  }

  function badge(status) {
    return h('span', { class: 'badge badge-' + status }, label('statuses', status));
  }

  class Details {
    /** container: the <aside>; callbacks: onLink(id), onListing(id), onChanged(), onClose() */
    constructor(container, callbacks) {
      this.box = container;
      this.body = container.querySelector('#details-body') || container;
      this.cb = callbacks || {};
      const close = container.querySelector('#details-close');
      if (close) close.addEventListener('click', () => this.close());
      document.addEventListener('keydown', (e) => { if (e.key === 'Escape') this.close(); });
    }

    close() {
      this.box.hidden = true;
      this.box.removeAttribute('data-kind');
      if (this.cb.onClose) this.cb.onClose();
    }

    _open(kind, id, ...content) {
      this.body.replaceChildren(...content.filter((c) => c !== null && c !== undefined && c !== false));
      this.box.dataset.kind = kind;
      this.box.dataset.id = id;
      this.box.hidden = false;
      this.box.scrollTop = 0;
    }

    /** A listing by id (fetched), or by the marker's own properties when it has no id (anonymous). */
    async showListing(id, props) {
      const d = (typeof id === 'number') ? await getJSON(CFG.urls.listing.replace('/0.json', '/' + id + '.json'))
        : Object.assign({ links: null }, props || (this.cb.lookup && this.cb.lookup(id)) || {});
      const dl = h('dl', { class: 'facts' });
      row(dl, t('material'), h('span', { class: 'swatch', style: 'background:' + colour(d.material) }),
        label('materials', d.material));
      row(dl, t('quantity'), qty(d),
        d.entered_unit && d.entered_unit !== d.unit ? h('span', { class: 'muted' },
          ' (' + num(d.entered_quantity, 2) + ' ' + d.entered_unit + ')') : null);
      row(dl, t('quality'), qualityText(d.quality));
      if (d.site) row(dl, t('site'), d.site);
      if (d.park) row(dl, t('park'), label('parks', d.park));
      if (d.visibility) row(dl, t('visibility'), label('visibility', d.visibility) + (d.approximate ? ' · ' + t('rounded') : ''));
      if (d.max_distance_km) row(dl, t('max_distance'), num(d.max_distance_km) + ' ' + t('km'));
      const months = Array.isArray(d.available_months) ? d.available_months.join(',') : d.available_months;
      if (months && months !== '1,2,3,4,5,6,7,8,9,10,11,12') row(dl, t('months'), months);
      if (d.ref) row(dl, t('ref'), d.ref);
      const links = h('ul', { class: 'linklist' });
      for (const lk of d.links || []) {
        links.appendChild(h('li', null, h('button', { type: 'button', class: 'linkbtn', dataset: { linkId: lk.id },
          onclick: () => this.cb.onLink && this.cb.onLink(lk.id) },
          badge(lk.status), ' ', (d.role === 'source' ? '→ ' : '← ') + who(lk.counterpart), ' · ', qty(lk))));
      }
      this._open('listing', id,
        h('p', { class: 'eyebrow' }, label('roles', d.role)),
        h('h2', null, who(d)),
        dl,
        d.description ? h('p', { class: 'desc' }, d.description) : null,
        d.links === null ? h('p', { class: 'muted' }, t('approx'))
          : h('h3', null, t('links') + ' (' + d.links.length + ')'),
        d.links === null ? null : (d.links.length ? links : h('p', { class: 'muted' }, t('no_links'))));
      return d;
    }

    async showLink(id) {
      const d = await getJSON(CFG.urls.link.replace('/0.json', '/' + id + '.json'));
      const dl = h('dl', { class: 'facts' });
      const pu = (d.details && d.details.per_unit) || {};
      row(dl, t('material'), h('span', { class: 'swatch', style: 'background:' + colour(d.material) }),
        label('materials', d.material));
      row(dl, t('quantity'), qty(d),
        d.delivered !== undefined && d.delivered !== null && Math.abs(d.delivered - d.quantity) > 0.5
          ? h('span', { class: 'muted' }, ' · ' + t('delivered') + ' ' + num(d.delivered) + ' ' + unit(d.unit)) : null);
      row(dl, t('quality'), qualityText(d.source.quality) + ' → ' + qualityText(d.sink.quality));
      if (!d.exact) row(dl, '', h('span', { class: 'muted small' }, t('approx')));
      const margin = d.margin_text || (d.details && d.details.margin);  // margin_text: in the page's language
      if (margin) row(dl, t('margin'), margin);
      row(dl, t('distance'), num(d.distance_km, 1) + ' ' + t('km'),
        h('span', { class: 'muted' }, ' (' + t('route') + ' ' + num(d.route_km, 1) + ' ' + t('km') + ')'));
      row(dl, t('transport'), label('transport', d.transport));
      row(dl, t('upgrade'), (d.requires || []).length ? d.requires.map((r) => label('requires', r)).join(', ') : t('none'));
      row(dl, t('cost'), num(d.cost_rmb_per_yr) + ' ' + t('rmb_per_yr'),
        h('span', { class: 'muted' }, ' (' + t('transport_cost') + ' ' + num(d.transport_cost_rmb_per_yr) + ', ' +
          t('upgrade_cost') + ' ' + num(d.upgrade_cost_rmb_per_yr) + ')'));
      row(dl, t('value'), num(d.value_rmb_per_yr) + ' ' + t('rmb_per_yr'));
      row(dl, t('net_benefit'), h('strong', null, num(d.net_benefit_rmb_per_yr) + ' ' + t('rmb_per_yr')),
        pu.net !== undefined ? h('span', { class: 'muted' }, ' (' + num(pu.net, 1) + ' / ' + unit(d.unit).split('/')[0] + ')') : null);
      row(dl, t('co2'), h('strong', null, num(d.co2_avoided_t_per_yr) + ' ' + t('t_per_yr')));
      row(dl, t('status'), badge(d.status));
      const ends = h('div', { class: 'ends' },
        h('button', { type: 'button', class: 'end end-source', disabled: d.source.access === 'withheld', onclick: () => this.cb.onListing && this.cb.onListing(d.source.id ?? d.source.key) },
          h('span', { class: 'shape shape-source', style: 'background:' + colour(d.material) }), who(d.source)),
        h('span', { class: 'arrow' }, '→'),
        h('button', { type: 'button', class: 'end end-sink', disabled: d.sink.access === 'withheld', onclick: () => this.cb.onListing && this.cb.onListing(d.sink.id ?? d.sink.key) },
          h('span', { class: 'shape shape-sink', style: 'background:' + colour(d.material) }), who(d.sink)));
      this._open('link', id,
        h('p', { class: 'eyebrow' }, t('link') + ' #' + d.id),
        h('h2', null, label('materials', d.material) + ' · ' + qty(d)),
        ends, dl,
        h('h3', null, t('explanation')),
        d.explanation ? h('p', { class: 'explanation', lang: d.explanation_lang || 'en' }, d.explanation_text || d.explanation)
          : h('p', { class: 'muted' }, t('approx')),
        this._workflow(d),
        this._actions(d));
      return d;
    }

    _workflow(d) {
      const w = d.workflow;
      if (!w) return null;
      const sides = (o) => ['source', 'sink'].filter((s) => o && o[s]).map((s) => label('roles', s)).join(', ') || '–';
      const dl = h('dl', { class: 'facts small' });
      row(dl, t('interest_shown'), sides(w.interest));
      row(dl, t('accepted_by'), sides(w.accepted));
      if ((w.approvals_required || []).length) {
        row(dl, t('approvals'), (w.approved_by_parks || []).map((p) => label('parks', p)).join(', ') || '–');
      }
      if (w.reason) row(dl, t('reason'), w.reason);
      if ((d.my_sides || []).length) row(dl, t('your_side'), d.my_sides.map((s) => label('roles', s)).join(', '));
      return dl;
    }

    _actions(d) {
      const actions = d.actions || [];
      if (!actions.length) return null;
      const status = h('p', { class: 'action-status', role: 'status' });
      const comment = h('textarea', { name: 'comment', rows: 2, placeholder: t('comment'), 'aria-label': t('comment') });
      const act = async (action) => {
        if ((action === 'reject' || action === 'decline') && !comment.value.trim()) {
          status.textContent = t('comment_needed'); comment.focus(); return;
        }
        status.textContent = '…';
        const res = await postJSON('/links/' + d.id + '/' + action, { comment: comment.value.trim() });
        if (res.ok) {
          status.textContent = res.body.message || t('done');
          if (this.cb.onChanged) await this.cb.onChanged(d.id, action);
          await this.showLink(d.id);
        } else {
          status.textContent = errorText(res);
        }
      };
      const kind = (a) => (['approve', 'accept', 'start'].includes(a) ? 'btn-primary'
        : ['reject', 'decline', 'end'].includes(a) ? 'btn-danger' : 'btn-light');
      const buttons = actions.map((a) => h('button', { type: 'button', class: 'btn ' + kind(a),
        dataset: { action: a }, onclick: () => act(a) }, t(a)));
      return h('div', { class: 'actions' }, comment, h('div', { class: 'btnrow' }, buttons), status);
    }
  }

  window.ExchangeMap = ExchangeMap;
  window.ExchangeDetails = Details;
}());
