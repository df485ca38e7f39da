import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import NIOCore

/// The live dashboard: one static page that polls `/v1/status` every second (brokers with a five-minute budget-use
/// chart, queue depth, breakers, tokens, the realtime pipeline's published/stored/missing per channel and the live
/// stream's clients, the snapshot schedule, recent alerts); with API keys, a login page that
/// keeps the key in a cookie (`APIKeyMiddleware`).
enum Dashboard {
    /// The page: everything inlined (no external asset, works offline), polling `/v1/status` every second.
    /// Each number has an id (`kis-sends`, `queue-backfill`, …) so a browser test can read it back; the
    /// budget-use chart draws the hub's own five-minute history (`budget_history_5s`), so it is full at once.
    static let html = """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>BrokerHub</title>
    <meta name="viewport" content="width=device-width,initial-scale=1">
    <style>
    body{font:14px/1.45 system-ui,sans-serif;margin:0;background:#0f1419;color:#e6e6e6}
    header{display:flex;flex-wrap:wrap;gap:.4em 1.4em;align-items:baseline;padding:14px 24px;background:#151b22;border-bottom:1px solid #263040}
    header h1{font-size:19px;margin:0 .6em 0 0} header b{color:#fff} main{padding:8px 24px 24px}
    h2{font-size:13px;text-transform:uppercase;letter-spacing:.06em;color:#8a9bb0;margin:22px 0 8px}
    .cards{display:flex;flex-wrap:wrap;gap:16px} .card{background:#151b22;border:1px solid #263040;border-radius:8px;padding:12px 16px;min-width:330px;flex:1}
    .card h3{margin:0 0 8px;font-size:16px} .card h3 small{color:#8a9bb0;font-weight:normal;margin-left:.5em}
    .grid{display:grid;grid-template-columns:repeat(4,auto);gap:2px 16px} .grid span{color:#8a9bb0;font-size:12px} .grid b{font-size:18px;font-variant-numeric:tabular-nums}
    .pill{font-size:12px;padding:1px 8px;border-radius:9px;margin-left:.6em;vertical-align:middle}
    .closed{background:#1d3b24;color:#7fdc8f} .open{background:#4a1d1d;color:#ff8080} .half_open{background:#4a3d1d;color:#ffd27f}
    svg.spark{width:100%;height:54px;margin-top:8px;background:#0f1419;border-radius:4px}
    .bars{display:grid;grid-template-columns:130px 1fr 70px;gap:6px 10px;align-items:center;max-width:640px}
    .bar{height:10px;background:#263040;border-radius:5px;overflow:hidden} .bar i{display:block;height:100%;background:#4f8cff}
    table{border-collapse:collapse} td,th{padding:3px 12px 3px 0;text-align:left;border-bottom:1px solid #263040;font-variant-numeric:tabular-nums}
    th{color:#8a9bb0;font-weight:normal} ul{padding-left:1.2em;margin:0} .muted{color:#8a9bb0} #err{color:#ff8080}
    .critical{color:#ff8080} .warning{color:#ffd27f} .info{color:#8ab4ff}
    </style></head><body>
    <header><h1>BrokerHub</h1>
    <span>mode <b id="mode">–</b></span><span>uptime <b id="uptime">–</b></span>
    <span>workers busy <b id="busy">–</b>/<b id="workers">–</b></span><span>coalesced <b id="coalesced">–</b></span>
    <span>cache hits <b id="hits">–</b></span><span class="muted">updated <span id="updated">–</span></span><span id="err"></span>
    <form method="post" action="/dashboard/logout" style="margin-left:auto"><button>sign out</button></form></header>
    <main>
    <h2>Brokers</h2><div class="cards" id="providers"></div>
    <h2>Queue depth by priority</h2><div class="bars" id="queue"></div>
    <section id="realtime-section" hidden><h2>Realtime pipeline</h2><table id="realtime"></table>
    <div class="muted" style="font-size:12px" id="realtime-note"></div></section>
    <section id="snapshot-section" hidden><h2>Snapshot schedule</h2><table id="snapshot"></table></section>
    <h2>Recent alerts</h2><ul id="alerts"><li class="muted">none</li></ul>
    <h2>Budgets lowered after the broker's refusals</h2><table id="learned"><tr><td class="muted">none</td></tr></table>
    </main>
    <script>
    const WINDOW=60;
    const $=id=>document.getElementById(id);
    function text(id,v){const e=$(id);if(e)e.textContent=v}
    function duration(s){s=Math.max(0,Math.round(s));const d=Math.floor(s/86400),h=Math.floor(s%86400/3600),m=Math.floor(s%3600/60);
      return d?d+'d '+h+'h':h?h+'h '+m+'m':m?m+'m '+(s%60)+'s':s+'s'}
    function esc(v){return String(v).replace(/[&<>"']/g,c=>'&#'+c.charCodeAt(0)+';')}
    function card(p){const id=p.provider;if($(id+'-card'))return;
      const c=document.createElement('div');c.className='card';c.id=id+'-card';
      c.innerHTML='<h3>'+esc(id)+'<small id="'+id+'-key"></small><span class="pill" id="'+id+'-breaker"></span></h3>'+
        '<div class="grid"><span>sends</span><span>sends/s (10 s)</span><span>budget use</span><span>limit/s</span>'+
        '<b id="'+id+'-sends"></b><b id="'+id+'-rate"></b><b id="'+id+'-use"></b><b id="'+id+'-limit"></b>'+
        '<span>tokens issued</span><span>token expires</span><span>breaker opened</span><span>configured/s</span>'+
        '<b id="'+id+'-tokens"></b><b id="'+id+'-expiry"></b><b id="'+id+'-opened"></b><b id="'+id+'-configured"></b></div>'+
        '<div class="muted" style="font-size:12px" id="'+id+'-approvals"></div>'+
        '<svg class="spark" viewBox="0 0 '+WINDOW+' 100" preserveAspectRatio="none" aria-label="budget use, last 5 minutes">'+
        '<line x1="0" y1="16.7" x2="'+WINDOW+'" y2="16.7" stroke="#6b2b2b" stroke-dasharray="4 4" vector-effect="non-scaling-stroke"/>'+
        '<polyline id="'+id+'-spark" fill="none" stroke="#4f8cff" stroke-width="2" vector-effect="non-scaling-stroke" points=""/></svg>'+
        '<div class="muted" style="font-size:12px">budget use, last 5 minutes (dashed: 100 %)</div>';
      $('providers').appendChild(c)}
    function render(s){
      text('mode',s.mode);text('uptime',duration(s.uptime_s));text('busy',s.workers_busy);text('workers',s.workers);
      text('coalesced',s.coalesced);text('hits',s.cache_hits);text('updated',new Date().toLocaleTimeString());
      const now=Date.now();
      for(const p of s.providers){card(p);const id=p.provider;
        text(id+'-key',p.app_key+' · '+p.kind);text(id+'-sends',p.sends);text(id+'-rate',Number(p.send_rate_10s).toFixed(2));
        text(id+'-use',(p.budget_utilisation_10s*100).toFixed(1)+'%');text(id+'-limit',p.budget_limit);
        text(id+'-configured',p.budget_configured);text(id+'-tokens',p.tokens_issued);text(id+'-approvals',p.approval_keys_issued?p.approval_keys_issued+' WebSocket approval key(s) issued':'');text(id+'-opened',p.breaker_opened);
        const b=$(id+'-breaker');b.textContent=p.breaker;b.className='pill '+p.breaker;
        text(id+'-expiry',p.token_expires_at?'in '+duration((Date.parse(p.token_expires_at)-now)/1000):'–');
        const h=(p.budget_history_5s||[]).slice(-WINDOW).map(v=>Math.min(1.2,v));
        $(id+'-spark').setAttribute('points',h.map((v,i)=>(WINDOW-h.length+i)+','+(100-v/1.2*100).toFixed(1)).join(' '))}
      const depth=s.queue_depth,max=Math.max(1,...Object.values(depth));
      $('queue').innerHTML=Object.entries(depth).map(([k,v])=>'<span>'+esc(k)+'</span><div class="bar"><i style="width:'+(v/max*100)+'%"></i></div><b id="queue-'+esc(k)+'">'+v+'</b>').join('');
      if(s.realtime||s.stream){$('realtime-section').hidden=false;const r=s.realtime||{},rows=r.channels||[];
        $('realtime').innerHTML='<tr><th>provider</th><th>channel</th><th>published</th><th>stored</th><th>missing</th></tr>'+
          (rows.length?rows.map(c=>{const id='rt-'+esc(c.provider)+'-'+esc(c.channel);return '<tr><td>'+esc(c.provider)+'</td><td>'+esc(c.channel)+
          '</td><td id="'+id+'-published">'+c.published+'</td><td id="'+id+'-stored">'+c.stored+'</td><td class="'+(c.missing>0?'critical':'')+'" id="'+id+'-missing">'+c.missing+'</td></tr>'}).join(''):
          '<tr><td colspan="5" class="muted">'+(s.realtime?(r.read_at?'nothing published yet':'the ledger has not been read yet'):'no archive configured (BROKERHUB_ARCHIVE): published/stored not shown')+'</td></tr>');
        text('realtime-note',(r.read_at?'ledger read '+new Date(Date.parse(r.read_at)).toLocaleTimeString()+' (missing: published, not stored — in flight or lost) · ':'')+
          (s.stream?s.stream.clients+' live stream client(s) on /v1/stream, '+s.stream.events_sent+' records sent':''))}
      if(s.snapshot){$('snapshot-section').hidden=false;const n=s.snapshot;
        const rejected=Object.values(n.rejected||{}).reduce((a,b)=>a+b,0);
        $('snapshot').innerHTML='<tr><th>mode</th><th>phase</th><th>cycles</th><th>collected</th><th>rejected</th><th>failed calls</th><th>last cycle</th></tr><tr><td>'+
          esc(n.mode)+' '+esc(n.provider)+'</td><td id="snapshot-phase">'+esc(n.phase)+(n.reason?' ('+esc(n.reason)+')':'')+'</td><td id="snapshot-cycles">'+n.cycles+
          '</td><td id="snapshot-collected">'+n.collected+'</td><td>'+rejected+'</td><td>'+n.failed_calls+'</td><td>'+(n.last_cycle?n.last_cycle.duration_ms+' ms':'–')+'</td></tr>'}
      if(s.recent_alerts&&s.recent_alerts.length){$('alerts').innerHTML=s.recent_alerts.slice().reverse().map(a=>
        '<li><span class="'+esc(a.severity)+'">'+esc(a.stage==='resolved'?'resolved':a.severity)+'</span> '+esc(a.at)+' — '+esc(a.message)+'</li>').join('')}
      else if(s.alerts_enabled===false){$('alerts').innerHTML='<li class="muted">alerts are off (set BROKERHUB_ALERT_WEBHOOK_URL or _ALERT_LOG_FILE)</li>'}
      if(s.learned_budgets.length){$('learned').innerHTML='<tr><th>budget</th><th>configured</th><th>limit</th><th>refused at</th></tr>'+
        s.learned_budgets.map(l=>'<tr><td>'+esc(l.budget)+'</td><td>'+l.configured+'</td><td>'+l.limit+'</td><td>'+esc(l.refused_at||'–')+'</td></tr>').join('')}
    }
    async function tick(){
      try{
        const r=await fetch('/v1/status',{credentials:'same-origin'});
        if(r.status===401){location.reload();return}
        if(!r.ok){text('err','status '+r.status);return}
        render(await r.json());text('err','');
      }catch(e){text('err',String(e))}
    }
    tick();setInterval(tick,1000);
    </script></body></html>
    """

    /// The login page (HTTP 401), counted as an unauthorized answer; `message` says why the last attempt failed.
    static func login(message: String?) -> Response {
        Counter(label: "brokerhub_http_errors_total", dimensions: [("code", "hub.unauthorized")]).increment()
        let note = message.map { "<p class=\"err\">\($0)</p>" } ?? ""
        let page = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>BrokerHub — sign in</title>
        <style>body{font:14px/1.4 system-ui,sans-serif;margin:4em auto;max-width:24em;background:#0f1419;color:#e6e6e6}
        input{width:100%;padding:6px;margin:8px 0;box-sizing:border-box} .err{color:#f66}</style></head><body>
        <h1>BrokerHub</h1>\(note)
        <form method="post" action="/dashboard/login"><label for="key">API key (one of BROKERHUB_API_KEYS)</label>
        <input id="key" name="key" type="password" autocomplete="current-password" autofocus required>
        <button>Sign in</button></form>
        <p>The key is kept in a cookie of this browser for 12 hours; it lets the page read the hub's status, nothing else.</p>
        </body></html>
        """
        return Response(status: .unauthorized, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    /// Back to the dashboard, setting (or, with nil, clearing) the key cookie.
    static func redirect(settingKey key: String?) -> Response {
        let name = APIKeyMiddleware<BasicRequestContext>.cookieName
        let value = key.flatMap { $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) } ?? ""
        let cookie = "\(name)=\(value); HttpOnly; SameSite=Strict; Path=/; Max-Age=\(key == nil ? 0 : 43_200)"
        return Response(status: .seeOther, headers: [.location: "/dashboard", .setCookie: cookie, .cacheControl: "no-store"])
    }
}
