/* "Run the matcher" for park managers: POST, progress bar while it runs, time of the run after. */
(function () {
  'use strict';
  const { t, num, postJSON, errorText } = window.X;

  function wire(onDone) {
    const box = document.getElementById('runbox');
    if (!box) return;
    const button = document.getElementById('run-matcher');
    const bar = document.getElementById('run-progress-bar');
    const wrap = document.getElementById('run-progress');
    const status = document.getElementById('run-status');
    button.addEventListener('click', async () => {
      button.disabled = true;
      wrap.hidden = false;
      box.dataset.state = 'running';
      const expected = Math.max(Number(box.dataset.expected) || 0, 1.5);
      const started = performance.now();
      // The bar follows the time the last run took; it waits at 95 % if this one is slower.
      const tick = () => {
        const s = (performance.now() - started) / 1000;
        bar.style.width = Math.min(95, (s / expected) * 100).toFixed(1) + '%';
        status.textContent = t('running') + ' ' + num(s, 1) + ' ' + t('seconds') + ' ' + t('elapsed') +
          ' · ' + t('expected') + ' ~' + num(expected, 1) + ' ' + t('seconds');
      };
      tick();
      const timer = setInterval(tick, 100);
      const res = await postJSON(box.dataset.url, { park: box.dataset.park || null });
      clearInterval(timer);
      button.disabled = false;
      if (res.ok) {
        bar.style.width = '100%';
        box.dataset.state = 'done';
        status.textContent = t('run_done') + ' #' + res.body.id + ' · ' + num(res.body.links) + ' ' + t('lines') +
          ' · ' + num(res.body.seconds, 1) + ' ' + t('seconds') + ' · ' + (res.body.finished_text || '');
        if (onDone) await onDone(res.body);
      } else {
        box.dataset.state = 'failed';
        bar.classList.add('failed');
        status.textContent = errorText(res);
      }
    });
  }

  window.RunMatcher = { wire };
}());
