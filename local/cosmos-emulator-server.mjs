// Child process: @vercel/cosmosdb-server over HTTPS with keep-alive (its CLI closes every
// connection, which would make each SDK call pay a TLS handshake).
import { createRequire } from 'node:module';
import cosmosServer from '@vercel/cosmosdb-server';

// One fix to its query engine: it builds each query's input by spreading the result array
// once per document (`reduce(($, c) => [...$, { c }], [])`), quadratic in the container's size
// (30 000 documents: 10 s per query). The same expression, linear; nothing else changes.
const require = createRequire(import.meta.url);
const Items = require('@vercel/cosmosdb-server/lib/account/items').default;
const QUADRATIC = /\$c\.reduce\(\(\$, c\) => typeof c !== "undefined" \? \[\.\.\.\$, \{\s*c: c\s*\}\] : \$, \[\]\)/g;
const getQuery = Items.prototype._getQuery;
Items.prototype._getQuery = function linearQuery(sql) {
  const query = getQuery.call(this, sql);
  if (!query.linear) {
    query._code = query.code.replace(QUADRATIC, () => '$c.filter((c) => typeof c !== "undefined").map((c) => ({ c }))');
    query.linear = true;
  }
  return query;
};

const port = Number(process.argv[2] ?? 8081);
const host = process.argv[3] ?? '127.0.0.1';
const server = cosmosServer.createHttpsServer({ keepAlive: true });
// Node closes a keep-alive connection after 5 s idle, and its client agent drops one a second
// before that. A client that stalls for over a second (a loaded machine deschedules it) and
// then writes on such a connection from an I/O callback, before its timers run, finds it
// closed: "socket hang up" (ECONNRESET), which killed long benches at load 20. Idle
// connections stay open until the client, which holds them, lets go.
server.keepAliveTimeout = 10 * 60_000;
server.on('error', (error) => {
  console.error(error.code === 'EADDRINUSE' ? `port ${port} is already in use` : `cosmos emulator failed: ${error.message}`);
  process.exit(error.code === 'EADDRINUSE' ? 98 : 1);
});
server.listen(port, host, () => console.log(`cosmos emulator ready on https://${host}:${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
