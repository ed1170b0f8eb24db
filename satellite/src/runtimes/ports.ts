import { createServer } from 'node:net';

/**
 * Finds a free TCP port on `host` by binding port 0, skipping `avoid` (ports of deployments that
 * may be starting and not listening yet).
 */
export async function allocatePort(
  host: string,
  avoid: ReadonlySet<number> = new Set(),
): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.unref();
      srv.once('error', reject);
      srv.listen(0, host, () => {
        const address = srv.address();
        srv.close(() =>
          typeof address === 'object' && address
            ? resolve(address.port)
            : reject(new Error('no port')),
        );
      });
    });
    if (!avoid.has(port)) return port;
  }
  throw new Error(`Could not find a free port on ${host}`);
}
