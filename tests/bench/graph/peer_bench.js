// The Node peer: messaging-api-messenger@1.1.0 (Bottender's client) doing the same
// passThreadControl calls as graph_bench, against the same loopback server.
//   node peer_bench.js <node_modules dir> <origin> <requests> <in flight>
// Prints: RESULT peer_c<N>_rps <value> req/s  and  RESULT peer_c<N>_cpu_us <value> us/req
'use strict';
const path = require('path');
const http = require('http');
const [modules, origin, requestsArg, inflightArg] = process.argv.slice(2);
const { MessengerClient } = require(path.join(modules, 'messaging-api-messenger'));

const requests = Number(requestsArg);
const inflight = Number(inflightArg);
const client = new MessengerClient({
  accessToken: 'EAAGbenchPAGEtoken0123456789abcdef',
  origin,
  version: '26.0',
  skipAppSecretProof: true,
});
// Keep-alive, as a fair peer would run it in production.
const agent = new http.Agent({ keepAlive: true, maxSockets: inflight });
client.axios.defaults.httpAgent = agent;

async function worker(count) {
  for (let i = 0; i < count; ++i) {
    await client.passThreadControl('6543210987654321', 263902037430900, 'bench');
  }
}

(async () => {
  await worker(Math.min(200, requests)); // warm-up: connections, JIT
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const per = Math.floor(requests / inflight);
  await Promise.all(Array.from({ length: inflight }, () => worker(per)));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const done = per * inflight;
  console.log(`RESULT peer_c${inflight}_rps ${(done / seconds).toFixed(1)} req/s`);
  console.log(`RESULT peer_c${inflight}_cpu_us ${((cpu.user + cpu.system) / done).toFixed(2)} us/req`);
  agent.destroy();
})().catch((e) => {
  console.error('peer bench failed:', e.message);
  process.exit(1);
});
