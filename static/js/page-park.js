/* The park page: park map, Sankey of material flows (ECharts), review queue, KPI refresh. */
(function () {
  'use strict';
  const { CFG, t, num, compact, label, unit, getJSON, postJSON, errorText } = window.X;
  const park = CFG.park;

  /* ---------------------------------------------------------------- map */
  const details = new window.ExchangeDetails(document.getElementById('details'), {
    lookup: (id) => em.propsOf(id),
    onLink: (id) => openLink(id), onListing: (id) => openListing(id),
    onChanged: () => refresh(), onClose: () => em.clearSelection(),
  });
  const em = new window.ExchangeMap('map', { park, onListing: (id) => openListing(id), onLink: (id) => openLink(id) });
  window.exchangeMap = em;
  function openLink(id) { em.highlightLink(id); return details.showLink(id); }
  function openListing(id) { em.highlightListing(id); return details.showListing(id); }

  async function loadMap() {
    await em.loadBase();
    const q = '?park=' + encodeURIComponent(park);
    const [listings, links] = await Promise.all([getJSON(CFG.urls.listings + q), getJSON(CFG.urls.links + q)]);
    em.setLinks(links);
    await em.setListings(listings);
    const pts = [];
    for (const f of links.features) for (const [lon, lat] of f.geometry.coordinates) pts.push([lat, lon]);
    for (const f of listings.features) pts.push([f.geometry.coordinates[1], f.geometry.coordinates[0]]);
    if (em.parkLayers[park]) {
      let b = em.parkLayers[park].getBounds();
      if (pts.length) b = b.extend(L.latLngBounds(pts));
      em.map.fitBounds(b.pad(0.08));
    } else if (pts.length) {
      em.map.fitBounds(L.latLngBounds(pts).pad(0.1));
    }
  }

  /* ---------------------------------------------------------------- Sankey */
  let chart = null;
  function drawSankey(material) {
    const data = (CFG.sankey || {})[material];
    const box = document.getElementById('sankey');
    if (!data || !box || !window.echarts) return;
    if (!chart) {
      chart = window.echarts.init(box, null, { renderer: 'svg', locale: CFG.locale.startsWith('zh') ? 'ZH' : 'EN' });
      window.addEventListener('resize', () => chart.resize());
    }
    const colourOf = (CFG.colours || {})[material] || '#888';
    const u = unit(data.unit);
    const height = Math.max(320, Math.min(1400, data.nodes.length * 22));
    box.style.height = height + 'px';
    chart.resize();
    chart.setOption({
      animation: false,
      tooltip: {
        trigger: 'item', confine: true,
        formatter: (p) => {
          if (p.dataType === 'edge') {
            const s = data.nodes.find((n) => n.name === p.data.source);
            const k = data.nodes.find((n) => n.name === p.data.target);
            return escapeHtml(s.label) + ' → ' + escapeHtml(k.label) + '<br>' + num(p.data.value) + ' ' +
              escapeHtml(u) + ' · ' + escapeHtml(label('statuses', p.data.status));
          }
          return escapeHtml(p.data.display) + '<br>' + num(p.value) + ' ' + escapeHtml(u);
        },
      },
      series: [{
        type: 'sankey', left: 8, right: 230, top: 8, bottom: 8, nodeWidth: 12, nodeGap: 6, draggable: false,
        layoutIterations: 32, emphasis: { focus: 'adjacency' },
        data: data.nodes.map((n) => ({ name: n.name, display: n.label,
          itemStyle: { color: n.role === 'source' ? colourOf : '#5b6b7b', borderColor: '#fff' } })),
        links: data.links.map((l) => ({ source: l.source, target: l.target, value: l.value, status: l.status,
          lineStyle: { color: colourOf, opacity: ['approved', 'active'].includes(l.status) ? 0.55 : 0.25 } })),
        label: { formatter: (p) => p.data.display, fontSize: 11, color: '#1c2733', overflow: 'truncate', width: 220 },
      }],
    }, true);
    box.dataset.material = material;
    box.dataset.links = data.links.length;
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  }

  const tabs = document.getElementById('sankey-tabs');
  if (tabs) {
    tabs.addEventListener('click', (e) => {
      const tab = e.target.closest('.tab');
      if (!tab) return;
      tabs.querySelectorAll('.tab').forEach((x) => x.setAttribute('aria-selected', String(x === tab)));
      drawSankey(tab.dataset.material);
    });
    const first = tabs.querySelector('.tab');
    if (first) drawSankey(first.dataset.material);
  }

  /* ---------------------------------------------------------------- KPIs and queue */
  async function refresh() {
    const k = await getJSON('/parks/' + encodeURIComponent(park) + '/kpis.json');
    document.querySelectorAll('#kpis .kpi').forEach((card) => {
      const key = card.dataset.kpi;
      card.dataset.value = k.agreed[key];
      card.dataset.potential = k.potential[key];
      card.querySelector('.v').textContent = compact(k.agreed[key]);
      card.querySelector('.p').textContent = compact(k.potential[key]);
    });
    document.querySelectorAll('#utilisation .util-row').forEach((row) => {
      const u = k.utilisation[row.dataset.material];
      if (!u) return;
      const bars = row.querySelectorAll('.util-bar i');
      bars[0].style.width = Math.min(100, (u.potential_rate || 0) * 100) + '%';
      bars[1].style.width = Math.min(100, (u.agreed_rate || 0) * 100) + '%';
      row.dataset.rate = u.agreed_rate === null ? '' : u.agreed_rate;
      row.querySelector('.num').textContent = u.agreed_rate === null ? '–'
        : new Intl.NumberFormat(CFG.locale, { style: 'percent' }).format(u.agreed_rate);
    });
    const byStatus = document.getElementById('by-status');
    if (byStatus) {
      byStatus.replaceChildren(...Object.entries(k.by_status).map(([st, n]) => Object.assign(
        document.createElement('span'), { className: 'badge badge-' + st, textContent: label('statuses', st) + ' ' + num(n) })));
    }
    document.body.dataset.kpiRefreshed = String(Date.now());
  }

  document.querySelectorAll('form.review-form').forEach((form) => {
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const action = e.submitter ? e.submitter.dataset.action : 'approve';
      const comment = form.querySelector('textarea').value.trim();
      const status = form.querySelector('.action-status');
      if (action === 'reject' && !comment) { status.textContent = t('comment_needed'); return; }
      form.querySelectorAll('button').forEach((b) => { b.disabled = true; });
      const row = form.closest('tr');
      const res = await postJSON('/links/' + row.dataset.linkId + '/' + action, { comment });
      if (res.ok) {
        status.textContent = res.body.message;
        const st = res.body.status || (action === 'approve' ? 'approved' : 'rejected');
        row.querySelector('.status-cell').replaceChildren(
          Object.assign(document.createElement('span'), { className: 'badge badge-' + st, textContent: label('statuses', st) }));
        row.dataset.decided = st;
        form.querySelector('textarea').remove();
        form.querySelector('.btnrow').remove();
        await refresh();
        const links = await getJSON(CFG.urls.links + '?park=' + encodeURIComponent(park));
        em.setLinks(links);
      } else {
        form.querySelectorAll('button').forEach((b) => { b.disabled = false; });
        status.textContent = errorText(res);
      }
    });
  });

  document.querySelectorAll('a.show-link').forEach((a) => a.addEventListener('click', (e) => {
    e.preventDefault();
    openLink(Number(a.dataset.linkId));
    document.getElementById('map').scrollIntoView({ behavior: 'smooth', block: 'center' });
  }));

  window.RunMatcher.wire(async () => { window.location.reload(); });
  loadMap().then(() => { document.body.dataset.ready = 'true'; });
}());
