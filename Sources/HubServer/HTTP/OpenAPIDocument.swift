/// The OpenAPI 3.1 description of the hub's HTTP API, served at `/openapi.json`.
enum OpenAPIDocument {
    static let json = #"""
    {"openapi":"3.1.0",
     "info":{"title":"BrokerHub","version":"0.1.0","description":"One gateway for KIS and Kiwoom REST calls: shared token, strict rate budget, durable priority queue, circuit breaker, retries."},
     "components":{
      "securitySchemes":{"apiKey":{"type":"apiKey","in":"header","name":"X-API-Key"},"bearer":{"type":"http","scheme":"bearer"}},
      "schemas":{
       "ExecuteRequest":{"type":"object","required":["provider","tr_id"],"properties":{
         "provider":{"type":"string","enum":["kis","kiwoom"]},
         "tr_id":{"type":"string","description":"TR id (KIS) or api-id (Kiwoom); see GET /v1/catalog"},
         "api_id":{"type":"string","description":"the same as tr_id (Kiwoom's name for it)"},
         "params":{"type":"object","additionalProperties":{"type":"string"}},
         "priority":{"type":"string","enum":["realtime_critical","interactive","snapshot","backfill"],"default":"interactive"},
         "timeout_ms":{"type":"integer","minimum":1,"maximum":600000,"default":10000},
         "max_pages":{"type":"integer","minimum":1,"maximum":100,"default":1},
         "idempotency_key":{"type":"string"},
         "account":{"type":"string"},
         "source_type":{"type":"string","enum":["realtime","rest_quote","rest_candle","backfill","derived"]}},"additionalProperties":false},
       "Record":{"type":"object","required":["type","provider","symbol","source_type"],"properties":{
         "type":{"type":"string","enum":["candle","quote","tick","orderbook"]},"provider":{"type":"string"},"symbol":{"type":"string"},
         "source_type":{"type":"string"}},"additionalProperties":true},
       "ExecuteResult":{"type":"object","properties":{
         "records":{"type":"array","items":{"$ref":"#/components/schemas/Record"}},
         "skipped":{"type":"array","items":{"type":"string"}},
         "meta":{"type":"object","properties":{"task_id":{"type":"string"},"attempts":{"type":"integer"},"queue_wait_ms":{"type":"integer"},
           "pages":{"type":"integer"},"cached":{"type":"boolean"},"coalesced":{"type":"boolean"},"source_type":{"type":"string"}}},
         "raw":{"type":"array","items":{}}}},
       "Job":{"type":"object","required":["id","state"],"properties":{"id":{"type":"string"},
         "state":{"type":"string","enum":["queued","leased","succeeded","failed","cancelled"]},"provider":{"type":"string"},"tr_id":{"type":"string"},
         "priority":{"type":"string"},"attempts":{"type":"integer"},"result":{"$ref":"#/components/schemas/ExecuteResult"},"error":{"type":"object"}}},
       "Error":{"type":"object","properties":{"error":{"type":"object","required":["code","message"],"properties":{
         "code":{"type":"string"},"message":{"type":"string"},
         "broker":{"type":"object","properties":{"provider":{"type":"string"},"category":{"type":"string"},"code":{"type":"string"},
           "http_status":{"type":"integer"},"message":{"type":"string"}}}}}}}},
      "responses":{
       "BadRequest":{"description":"invalid request, unknown TR or bad parameter","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}},
       "Unauthorized":{"description":"missing or unknown API key","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}},
       "QueueFull":{"description":"queue full; see Retry-After","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}},
       "BrokerError":{"description":"the broker answered with an error (its code and message included)","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}},
       "CircuitOpen":{"description":"circuit open; see Retry-After","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}},
       "Deadline":{"description":"no answer within the timeout","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}}}},
     "security":[{"apiKey":[]},{"bearer":[]}],
     "paths":{
      "/v1/execute":{"post":{"summary":"Execute a TR synchronously","parameters":[{"name":"raw","in":"query","schema":{"type":"string","enum":["1"]}}],
        "requestBody":{"required":true,"content":{"application/json":{"schema":{"$ref":"#/components/schemas/ExecuteRequest"}}}},
        "responses":{"200":{"description":"normalised records","content":{"application/json":{"schema":{"$ref":"#/components/schemas/ExecuteResult"}}}},
          "400":{"$ref":"#/components/responses/BadRequest"},"401":{"$ref":"#/components/responses/Unauthorized"},"404":{"description":"unknown symbol"},
          "429":{"$ref":"#/components/responses/QueueFull"},"502":{"$ref":"#/components/responses/BrokerError"},
          "503":{"$ref":"#/components/responses/CircuitOpen"},"504":{"$ref":"#/components/responses/Deadline"}}}},
      "/v1/jobs":{"post":{"summary":"Submit an asynchronous job","requestBody":{"required":true,"content":{"application/json":{"schema":{"$ref":"#/components/schemas/ExecuteRequest"}}}},
        "responses":{"202":{"description":"queued","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Job"}}}},
          "200":{"description":"already known (idempotency key)","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Job"}}}},
          "400":{"$ref":"#/components/responses/BadRequest"},"429":{"$ref":"#/components/responses/QueueFull"}}}},
      "/v1/jobs/{id}":{"parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}}],
        "get":{"summary":"Poll a job","responses":{"200":{"description":"the job","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Job"}}}},"404":{"description":"unknown job"}}},
        "delete":{"summary":"Cancel a job","responses":{"200":{"description":"the job after cancelling","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Job"}}}},"404":{"description":"unknown job"}}}},
      "/v1/quotes/{symbol}":{"get":{"summary":"A quote","parameters":[{"name":"symbol","in":"path","required":true,"schema":{"type":"string"}},
        {"name":"provider","in":"query","schema":{"type":"string","enum":["kis","kiwoom"]}}],
        "responses":{"200":{"description":"the quote","content":{"application/json":{"schema":{"type":"object","properties":{"quote":{"$ref":"#/components/schemas/Record"}}}}}},
          "404":{"description":"unknown symbol"},"502":{"$ref":"#/components/responses/BrokerError"}}}},
      "/v1/candles/{symbol}":{"get":{"summary":"Candles over a date range, every broker page followed","parameters":[
        {"name":"symbol","in":"path","required":true,"schema":{"type":"string"}},{"name":"provider","in":"query","schema":{"type":"string"}},
        {"name":"interval","in":"query","schema":{"type":"string","default":"1d"}},{"name":"from","in":"query","schema":{"type":"string","pattern":"^[0-9]{8}$"}},
        {"name":"to","in":"query","schema":{"type":"string","pattern":"^[0-9]{8}$"}}],
        "responses":{"200":{"description":"candles oldest first","content":{"application/json":{"schema":{"type":"object","properties":{
          "candles":{"type":"array","items":{"$ref":"#/components/schemas/Record"}}}}}}},"400":{"$ref":"#/components/responses/BadRequest"}}}},
      "/v1/catalog":{"get":{"summary":"Supported transactions and their parameters","responses":{"200":{"description":"catalogue"}}}},
      "/v1/status":{"get":{"summary":"Status JSON","responses":{"200":{"description":"status"}}}},
      "/kis/{path}":{"parameters":[{"name":"path","in":"path","required":true,"schema":{"type":"string"}}],
        "get":{"summary":"KIS-shaped proxy (GET quotations)","responses":{"200":{"description":"the broker's answer"}}},
        "post":{"summary":"KIS-shaped proxy (token endpoints answer hub-local tokens)","responses":{"200":{"description":"the broker's answer"}}}},
      "/kiwoom/{path}":{"parameters":[{"name":"path","in":"path","required":true,"schema":{"type":"string"}}],
        "post":{"summary":"Kiwoom-shaped proxy","responses":{"200":{"description":"the broker's answer"}}}},
      "/health":{"get":{"summary":"Liveness","security":[],"responses":{"200":{"description":"alive"}}}},
      "/ready":{"get":{"summary":"Readiness","security":[],"responses":{"200":{"description":"ready"},"503":{"description":"not ready"}}}},
      "/metrics":{"get":{"summary":"Prometheus metrics","responses":{"200":{"description":"text exposition"}}}},
      "/dashboard":{"get":{"summary":"Live dashboard page","responses":{"200":{"description":"HTML"}}}}}}
    """#
}
