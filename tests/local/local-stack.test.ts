import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { assertPortFree, freePort, PortInUseError, startCosmosEmulator } from '../../local/stack.js';

describe('local stack', () => {
  it('a port in use gives a clear message, not a stack trace', async () => {
    const port = await freePort();
    const blocker = createServer().listen(port, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    try {
      await expect(assertPortFree('API host', port, 'Set PORT to use another port.')).rejects.toThrow(
        new PortInUseError('API host', port, 'Set PORT to use another port.'),
      );
      await expect(startCosmosEmulator(port, true)).rejects.toThrow(/Cosmos DB emulator: port \d+ is already in use\. .*COSMOS_ENDPOINT/);
    } finally {
      blocker.close();
    }
  });
});
