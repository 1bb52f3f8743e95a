/**
 * The console's only stylesheet and script, served by Lucid itself (no CDN, no build step). Colours meet WCAG AA
 * contrast on white (4.5:1 and better); the layout is one column on a phone.
 */
const CSS = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#fff}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;align-items:center;padding:.6rem 1rem;background:#102a43;color:#fff}
header a{color:#fff}
.brand{font-weight:700;font-size:1.1rem}
nav{display:flex;flex-wrap:wrap;gap:.25rem 1rem}
nav a[aria-current=page]{text-decoration-thickness:3px}
.who{margin-left:auto;display:flex;gap:.5rem;align-items:center}
main{padding:1rem;max-width:72rem;margin:0 auto;overflow-wrap:anywhere}
h1{font-size:1.6rem;margin:.2rem 0 1rem}
h2{font-size:1.3rem;border-bottom:2px solid #d9e2ec;padding-bottom:.2rem}
h3{font-size:1.1rem}
h4{margin:0 0 .4rem;font-size:1rem}
a{color:#0b4f9c}
a:focus,button:focus,input:focus,textarea:focus,main:focus{outline:3px solid #e8a400;outline-offset:2px}
button{font:inherit;padding:.45rem .9rem;border:1px solid #102a43;border-radius:4px;background:#102a43;color:#fff;cursor:pointer;min-height:44px}
input,textarea{font:inherit;padding:.4rem .5rem;border:1px solid #52606d;border-radius:4px;min-height:44px}
label{font-weight:600}
.skip{position:absolute;left:-999px}
.skip:focus{left:1rem;top:.5rem;background:#fff;color:#0b4f9c;padding:.3rem .6rem;z-index:1}
.signin{display:grid;gap:.4rem;max-width:22rem}
.signin button{margin-top:.6rem}
.filter{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin-bottom:1rem}
.help{color:#52606d;font-size:.9rem;width:100%}
.cards{display:grid;gap:.8rem;grid-template-columns:repeat(auto-fill,minmax(17rem,1fr))}
.cluster{border:1px solid #bcccdc;border-radius:6px;padding:.7rem}
dl{display:grid;grid-template-columns:auto 1fr;gap:.1rem .7rem;margin:.3rem 0}
dt{color:#52606d}
dd{margin:0}
.services{padding-left:1.1rem;margin:.3rem 0}
.label{background:#f0f4f8;border-radius:3px;padding:0 .3rem;font-size:.9rem}
.badge{display:inline-block;border-radius:3px;padding:0 .4rem;font-size:.85rem;font-weight:600;border:1px solid}
.good{color:#0e5a2a;background:#e3f6e9;border-color:#0e5a2a}
.bad{color:#8a1c1c;background:#fde8e8;border-color:#8a1c1c}
.busy{color:#6b4500;background:#fff4d6;border-color:#6b4500}
.plain{color:#334e68;background:#f0f4f8;border-color:#334e68}
.none{color:#52606d}
.error{color:#8a1c1c;font-weight:600}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;margin:.3rem 0 1rem}
caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #d9e2ec;vertical-align:top;overflow-wrap:break-word}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.actions{display:flex;flex-wrap:wrap;gap:.5rem}
.timeline{padding-left:1.2rem;font-size:.95rem}
.timeline time{color:#52606d;font-variant-numeric:tabular-nums;margin-right:.4rem}
.button{display:inline-block;padding:.45rem .9rem;border-radius:4px;background:#102a43;color:#fff;text-decoration:none;min-height:44px}
select{font:inherit;padding:.4rem .5rem;border:1px solid #52606d;border-radius:4px;min-height:44px;max-width:100%}
.propose{display:grid;gap:.4rem;max-width:40rem}
.propose select,.propose input,.propose textarea{width:100%;min-width:0}
.secret-value{-webkit-text-security:disc;font-family:monospace}
.propose button{margin-top:.6rem;justify-self:start}
.gates th,.gates td:nth-child(2){white-space:nowrap}
.diff{background:#f0f4f8;padding:.6rem;overflow-x:auto;font-size:.9rem;line-height:1.4}
.diff .add{color:#0e5a2a;background:#e3f6e9}
.diff .del{color:#8a1c1c;background:#fde8e8}
.chart-svg{display:block;max-width:44rem;height:auto;margin:.3rem 0}
details{margin:.3rem 0 1rem}
summary{cursor:pointer;min-height:44px;padding:.6rem 0}
@media (max-width:40rem){main{padding:.6rem}.who{margin-left:0}h1{font-size:1.35rem}}
`;

/**
 * A running rollout's page asks the JSON API every few seconds and, when the rollout moved on, swaps in the
 * freshly rendered part of its page: the server stays the one place that renders.
 */
const JS = `
(function () {
  var live = document.getElementById('live');
  if (!live || !live.dataset.poll) return;
  var api = live.dataset.poll;
  var last = null;
  function key(d) { return JSON.stringify([d.status.state, d.status.paused, d.status.waitingFor, d.status.waves, d.timeline.length]); }
  function tick() {
    fetch(api, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (!d) return;
        var k = key(d);
        if (last !== null && k !== last) {
          return fetch(location.pathname, { credentials: 'same-origin' }).then(function (r) { return r.text(); }).then(function (html) {
            var fresh = new DOMParser().parseFromString(html, 'text/html').getElementById('live');
            if (fresh) { live.innerHTML = fresh.innerHTML; if (!fresh.dataset.poll) delete live.dataset.poll; }
          });
        }
        last = k;
      })
      .catch(function () {})
      .then(function () { if (live.dataset.poll) setTimeout(tick, 3000); });
  }
  tick();
})();
`;

export const CONSOLE_ASSETS: Record<string, { contentType: string; body: string }> = {
  '/assets/console.css': { contentType: 'text/css; charset=utf-8', body: CSS },
  '/assets/console.js': { contentType: 'text/javascript; charset=utf-8', body: JS },
};
