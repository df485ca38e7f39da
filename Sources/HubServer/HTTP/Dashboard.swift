import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import NIOCore

/// The live dashboard: one static page that polls `/v1/status` every second; with API keys, a login page that
/// keeps the key in a cookie (`APIKeyMiddleware`).
enum Dashboard {
    static let html = """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>BrokerHub</title>
    <style>
    body{font:14px/1.4 system-ui,sans-serif;margin:2em;background:#0f1419;color:#e6e6e6}
    h1{font-size:20px} table{border-collapse:collapse;margin:1em 0} td,th{padding:4px 12px;border-bottom:1px solid #333;text-align:right}
    th{text-align:left;color:#9aa} .open{color:#f66} .closed{color:#6c6} .half_open{color:#fc6} #err{color:#f66}
    </style></head><body>
    <h1>BrokerHub</h1><form method="post" action="/dashboard/logout" style="float:right"><button>sign out</button></form><div id="err"></div>
    <div>uptime <span id="uptime">–</span> s · workers busy <span id="busy">–</span>/<span id="workers">–</span>
    · coalesced <span id="coalesced">–</span> · cache hits <span id="hits">–</span></div>
    <h2>Queue</h2><table id="queue"></table>
    <h2>Brokers</h2><table id="providers"><tr><th>provider</th><th>app key</th><th>sends</th><th>rate/s (10 s)</th>
    <th>budget use</th><th>breaker</th><th>tokens issued</th><th>token expires</th></tr></table>
    <script>
    async function tick(){
      try{
        const r=await fetch('/v1/status',{credentials:'same-origin'});
        if(r.status===401){location.reload();return}
        if(!r.ok){document.getElementById('err').textContent='status '+r.status;return}
        const s=await r.json();document.getElementById('err').textContent='';
        for(const [id,key] of [['uptime','uptime_s'],['busy','workers_busy'],['workers','workers'],['coalesced','coalesced'],['hits','cache_hits']])
          document.getElementById(id).textContent=s[key];
        document.getElementById('queue').innerHTML='<tr>'+Object.keys(s.queue_depth).map(k=>'<th>'+k+'</th>').join('')+'</tr><tr>'+
          Object.values(s.queue_depth).map(v=>'<td>'+v+'</td>').join('')+'</tr>';
        const t=document.getElementById('providers');while(t.rows.length>1)t.deleteRow(1);
        for(const p of s.providers){const row=t.insertRow();
          for(const v of [p.provider,p.app_key,p.sends,p.send_rate_10s,(p.budget_utilisation_10s*100).toFixed(1)+'%',p.breaker,p.tokens_issued,p.token_expires_at||'–'])
            row.insertCell().textContent=v;
          row.cells[5].className=p.breaker;}
      }catch(e){document.getElementById('err').textContent=String(e)}
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
