// Child process: @vercel/cosmosdb-server over HTTPS with keep-alive (its CLI closes every
// connection, which would make each SDK call pay a TLS handshake).
import cosmosServer from '@vercel/cosmosdb-server';

const port = Number(process.argv[2] ?? 8081);
const host = process.argv[3] ?? '127.0.0.1';
const server = cosmosServer.createHttpsServer({ keepAlive: true });
server.on('error', (error) => {
  console.error(error.code === 'EADDRINUSE' ? `port ${port} is already in use` : `cosmos emulator failed: ${error.message}`);
  process.exit(error.code === 'EADDRINUSE' ? 98 : 1);
});
server.listen(port, host, () => console.log(`cosmos emulator ready on https://${host}:${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
