import http from 'node:http';

/**
 * The ceiling for a Node proxy: a bare node:http server that streams each request body to one
 * upstream URL over a keep-alive agent and streams the answer back. No parsing, no stats, no
 * queue — whatever Pacproxy costs on top of this is the price of its work.
 *
 * Run alone: PASSTHROUGH_PORT=8090 UPSTREAM_URL=http://127.0.0.1:8081/ node dist/ops/bench/passthrough.js
 */

/** Request headers worth forwarding; hop-by-hop ones (connection, keep-alive…) stay behind. */
const FORWARDED = ['content-type', 'content-length', 'authorization', 'accept', 'transfer-encoding'];

export function createPassthrough(upstreamUrl: string): http.Server {
  const upstream = new URL(upstreamUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

  return http.createServer((req, res) => {
    const headers: http.OutgoingHttpHeaders = {};
    for (const name of FORWARDED) {
      const value = req.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    const outgoing = http.request(
      {
        agent,
        host: upstream.hostname,
        port: upstream.port,
        path: upstream.pathname + upstream.search,
        method: req.method,
        headers,
      },
      (answer) => {
        const { connection: _c, 'keep-alive': _k, ...answerHeaders } = answer.headers;
        res.writeHead(answer.statusCode ?? 502, answerHeaders);
        answer.pipe(res);
      },
    );
    outgoing.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(outgoing);
  });
}

if (require.main === module) {
  const port = Number(process.env.PASSTHROUGH_PORT ?? 8090);
  const upstreamUrl = process.env.UPSTREAM_URL ?? 'http://127.0.0.1:8081/';
  const server = createPassthrough(upstreamUrl);
  server.keepAliveTimeout = 65_000;
  server.listen(port, '127.0.0.1', () => {
    process.stdout.write(`pass-through on http://127.0.0.1:${port}/ -> ${upstreamUrl}\n`);
  });
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}
