#!/usr/bin/env node
// Keep-alive HTTPS front for the local Cosmos test server (@vercel/cosmosdb-server), no dependencies.
// The server answers every request with "Connection: close", so a client pays a new TCP + TLS handshake per call.
// This proxy keeps the client's TLS connections open and forwards each request over plain HTTP on loopback.
//   node cosmos-keepalive-proxy.js --port 8081 --target-port 8082 [--host 127.0.0.1]
// COSMOS_PROXY_LOG=1 logs each request line (method and path only) to stdout, for diagnosing slow clients.
"use strict";
const fs = require("fs");
const http = require("http");
const https = require("https");
const path = require("path");

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const host = arg("--host", "127.0.0.1");
const port = parseInt(arg("--port", "8081"), 10);
const targetPort = parseInt(arg("--target-port", "8082"), 10);
// The test server's own self-signed pair; clients accept it only because the endpoint is loopback.
const certDir = arg("--cert-dir", path.join(__dirname, "node_modules", "@vercel", "cosmosdb-server"));

const hopByHop = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"]);

const server = https.createServer(
  { cert: fs.readFileSync(path.join(certDir, "cert.pem")), key: fs.readFileSync(path.join(certDir, "key.pem")), keepAlive: true },
  (req, res) => {
    if (process.env.COSMOS_PROXY_LOG) console.log(new Date().toISOString(), req.method, req.url);
    const headers = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!hopByHop.has(name)) headers[name] = value;
    }
    const upstream = http.request(
      { host: "127.0.0.1", port: targetPort, method: req.method, path: req.url, headers, agent: false },
      (up) => {
        const out = {};
        for (const [name, value] of Object.entries(up.headers)) {
          if (!hopByHop.has(name)) out[name] = value;
        }
        res.writeHead(up.statusCode || 502, out);
        up.pipe(res);
      },
    );
    upstream.on("error", (err) => {
      if (!res.headersSent) {
        res.writeHead(502, { "content-type": "application/json" });
      }
      res.end(JSON.stringify({ code: "BadGateway", message: `local Cosmos server unreachable: ${err.code || err.message}` }));
    });
    req.pipe(upstream);
  },
);
server.keepAliveTimeout = 120000;
server.headersTimeout = 125000;
server.listen(port, host, () => {
  console.log(`cosmos keep-alive proxy on https://${host}:${port}/ -> http://127.0.0.1:${targetPort}/`);
});
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => process.exit(0)) && setTimeout(() => process.exit(0), 500).unref());
}
