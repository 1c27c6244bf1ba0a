import { createRegistry } from '../../src/metrics/index.js';
import { ADAPTERS } from './apps.js';

for (let i = 0; i < 5; i++) {
  const t = Date.now();
  const app = await ADAPTERS.fastify.start({ registry: createRegistry() });
  console.log('started', i, Date.now() - t);
  await app.close();
}
