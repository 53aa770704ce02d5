/** Stops the local cloud global-setup started, and checks nothing of it is left running. */
import { rmSync } from 'node:fs';
import { connect } from 'node:net';

const refusesConnections = (endpoint: string) =>
  new Promise<boolean>((resolve) => {
    const { hostname, port } = new URL(endpoint);
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

export default async function globalTeardown(): Promise<void> {
  const started = globalThis.__berbixLocalCloud;
  if (!started) return;
  globalThis.__berbixLocalCloud = undefined;
  const { cloud, configFile } = started;
  await cloud.stop();
  rmSync(configFile, { force: true });

  let alive = true;
  try {
    process.kill(cloud.pid, 0);
  } catch {
    alive = false;
  }
  const { endpoints, apiUrl, sandboxUrl } = cloud.config;
  const open = [];
  for (const endpoint of [apiUrl, sandboxUrl, endpoints.dynamodb, endpoints.s3, endpoints.sfn]) {
    if (!(await refusesConnections(endpoint))) open.push(endpoint);
  }
  if (alive || open.length > 0) {
    throw new Error(
      `The local cloud left something behind: process ${alive ? 'alive' : 'gone'}, open: ${open.join(', ')}`,
    );
  }
}
