/* The printable report: a Print button (the page prints fine without it). */
document.getElementById('print').addEventListener('click', () => window.print());
