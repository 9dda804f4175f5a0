// The reference fleet server: one webhook server of a fleet, on `webhook::Endpoint`: bodies go to a
// Redis stream (RedisStreamQueue) before the 200, workers de-duplicate through Redis (RedisStore),
// feed the tracker and run the handler; a poller performs due take-backs. Several run at once
// behind a load balancer and behave as one.
//
//   fleet_server --redis-port P --prefix K --secret S --app-id A --token T
//                --graph-url U --quiet-ms N --log FILE --port-file FILE
//                [--lease-ms N] [--claim-lease-ms N] [--record-handled 1] [--record-port P]
//                [--sentinels H:P,H:P --sentinel-service NAME] [--cluster-nodes H:P,H:P]
//                [--wait-replicas N]
//
// tests/redis/fleet_test.cpp runs several of it behind a round-robin proxy.
//
// FILE gets one line per handled event ("event <dedup key>") and per policy action
// ("action <name> <page> <user> ok|failed"), flushed at once so a killed server's work counts.
// With --record-handled 1 the handler also counts each event in Redis (HINCRBY on
// <prefix>handled, on the server at --record-port, default --redis-port), so a test can check
// "exactly once" after servers were killed; a failover test records outside the Redis under test.
// --sentinels or --cluster-nodes reach Redis through Sentinel or as a Redis Cluster instead of
// --redis-port; --wait-replicas sets RedisOptions::wait_replicas.

#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <hiredis/hiredis.h>

#include "handover/client/client.hpp"
#include "handover/endpoint/endpoint.hpp"
#include "handover/endpoint/httplib_adapter.hpp"
#include "handover/redis/redis_store.hpp"
#include "handover/redis/redis_stream_queue.hpp"
#include "handover/tracker/dedup.hpp"
#include "handover/tracker/thread_tracker.hpp"

namespace {

using namespace handover;

std::mutex g_log_mu;
std::ofstream g_log;

void logLine(const std::string& line) {
  std::lock_guard<std::mutex> lock(g_log_mu);
  g_log << line << std::endl;  // flushed: a SIGKILL must not lose written lines
}

// "h:p,h:p" as addresses.
std::vector<redis::RedisAddress> addresses(const std::string& list) {
  std::vector<redis::RedisAddress> out;
  std::size_t from = 0;
  while (from < list.size()) {
    std::size_t comma = list.find(',', from);
    if (comma == std::string::npos) comma = list.size();
    const std::string item = list.substr(from, comma - from);
    const auto colon = item.rfind(':');
    if (colon != std::string::npos) {
      out.push_back({item.substr(0, colon), std::stoi(item.substr(colon + 1))});
    }
    from = comma + 1;
  }
  return out;
}

}  // namespace

constexpr const char* kUsage =
    "usage: fleet_server --redis-port P --prefix K --secret S --app-id A --token T\n"
    "                    --graph-url U --quiet-ms N --log FILE --port-file FILE\n"
    "                    [--lease-ms N] [--claim-lease-ms N] [--record-handled 1]\n"
    "                    [--record-port P] [--sentinels H:P,H:P --sentinel-service NAME]\n"
    "                    [--cluster-nodes H:P,H:P] [--wait-replicas N]\n"
    "One webhook server of a fleet: bodies go to a Redis stream before the 200; workers\n"
    "de-duplicate and track conversations on Redis and take a thread back after --quiet-ms of\n"
    "agent silence. Several, sharing Redis behind a load balancer, behave as one. It listens\n"
    "on 127.0.0.1 at a free port written to --port-file; --log gets a line per handled event.\n";

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "--help") {
    std::cout << kUsage;
    return 0;
  }
  std::map<std::string, std::string> args;
  for (int i = 1; i + 1 < argc; i += 2) args[argv[i]] = argv[i + 1];
  const bool topology = args.count("--sentinels") || args.count("--cluster-nodes");
  if (!topology && !args.count("--redis-port")) {
    std::cerr << "missing --redis-port (or --sentinels, or --cluster-nodes)\n" << kUsage;
    return 2;
  }
  for (const char* required : {"--prefix", "--secret", "--app-id", "--token", "--graph-url",
                               "--quiet-ms", "--log", "--port-file"}) {
    if (!args.count(required)) {
      std::cerr << "missing " << required << "\n" << kUsage;
      return 2;
    }
  }
  g_log.open(args["--log"], std::ios::app);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  redis::RedisOptions ro;
  if (args.count("--redis-port")) ro.port = std::stoi(args["--redis-port"]);
  ro.key_prefix = args["--prefix"];
  ro.sentinels = addresses(args["--sentinels"]);
  ro.sentinel_service = args["--sentinel-service"];
  ro.cluster_nodes = addresses(args["--cluster-nodes"]);
  if (args.count("--wait-replicas")) ro.wait_replicas = std::stoi(args["--wait-replicas"]);
  if (auto ok = redis::checkOptions(ro); !ok) {
    std::cerr << ok.error().message << "\n";
    return 2;
  }
  auto store = std::make_shared<redis::RedisStore>(ro);

  ClientOptions co;
  co.base_url = args["--graph-url"];
  co.access_token = args["--token"];
  co.app_id = args["--app-id"];
  co.app_secret = args["--secret"];
  co.deadline = std::chrono::seconds(5);
  tracker::TrackerOptions to;
  to.policies.idle_take_back = tracker::IdleTakeBack{
      tracker::IdleTakeBack::Action::kTake,
      std::chrono::milliseconds(std::stol(args["--quiet-ms"])), "", "fleet take-back"};
  to.due_lease = std::chrono::seconds(5);
  // Every action is logged as it happens: poll() returns its outcomes only when the whole pass
  // succeeds, and a store hiccup after an action (a loaded CI machine) must not hide it.
  to.on_action = [](const tracker::ActionOutcome& o) {
    logLine(std::string("action ") + tracker::toString(o.action) + " " + o.key.page_id + " " +
            o.key.user_id + " " + (o.ok() ? "ok" : "failed"));
  };
  const Client client(co);
  auto tracker = std::make_shared<tracker::ThreadTracker>(store, client, to);
  // A killed server's claims lapse after this lease; its bodies come back after --lease-ms.
  tracker::DedupOptions dedup_options;
  dedup_options.lease = std::chrono::milliseconds(
      args.count("--claim-lease-ms") ? std::stol(args["--claim-lease-ms"]) : 30'000);
  auto dedup = std::make_shared<tracker::Deduplicator>(store, dedup_options);

  // The application's own record of what it handled, in Redis (not in the SDK's keys): a
  // killed server's count survives it.
  const bool record = args.count("--record-handled") && args["--record-handled"] == "1";
  std::mutex record_mu;
  const int record_port = args.count("--record-port") ? std::stoi(args["--record-port"]) : ro.port;
  redisContext* recorder = record ? redisConnect("127.0.0.1", record_port) : nullptr;
  const std::string handled_key = ro.key_prefix + "handled";

  webhook::Router router;
  router.onAny([&](webhook::Context&, const webhook::Event& e) -> Result<void> {
    const std::string key = webhook::dedupKey(e);
    if (recorder != nullptr) {
      std::lock_guard<std::mutex> lock(record_mu);
      auto* r = static_cast<redisReply*>(
          redisCommand(recorder, "HINCRBY %s %s 1", handled_key.c_str(), key.c_str()));
      const bool ok = r != nullptr && r->type == REDIS_REPLY_INTEGER;
      if (r != nullptr) freeReplyObject(r);
      if (!ok) {
        // Redis is restarting: reconnect, and fail the event so it is retried.
        redisFree(recorder);
        recorder = redisConnect("127.0.0.1", record_port);
        return Error::make(ErrorCategory::kStore, "recording the event failed");
      }
    }
    logLine("event " + key);
    return {};
  });

  redis::RedisStreamQueueOptions qo;
  qo.redis = ro;
  qo.lease =
      std::chrono::milliseconds(args.count("--lease-ms") ? std::stol(args["--lease-ms"]) : 2000);
  auto queue = std::make_shared<redis::RedisStreamQueue>(qo);
  // At start-up, as every server of a fleet should: say when Redis cannot keep the promise.
  if (auto durability = queue->checkDurability()) {
    for (const auto& w : durability->warnings) logLine("warning " + w);
  } else {
    logLine("warning " + durability.error().message);
  }
  webhook::EndpointOptions eo;
  eo.app_secret = args["--secret"];
  eo.verify_token = "fleet";
  eo.queue = queue;
  eo.workers = 2;
  eo.retry_delay = std::chrono::milliseconds(300);
  eo.handler_deadline = qo.lease / 2;
  eo.on_event = [](const webhook::EndpointEvent& e) {
    if (e.kind != webhook::EndpointEventKind::kRejected) logLine("endpoint " + e.message);
  };
  webhook::Endpoint endpoint(eo, std::move(router), client, dedup, tracker);

  httplib::Server server;
  webhook::mountEndpoint(server, "/webhook", endpoint);

  const int port = server.bind_to_any_port("127.0.0.1");
  if (port <= 0) return 1;
  {
    std::ofstream pf(args["--port-file"] + ".tmp");
    pf << port << "\n";
  }
  std::rename((args["--port-file"] + ".tmp").c_str(), args["--port-file"].c_str());

  std::atomic<bool> stop{false};
  std::thread poller([&] {
    for (std::size_t passes = 1; !stop; ++passes) {
      (void)tracker->poll();  // a store failure is retried on the next pass
      // The test waits on these to know that passes happened, instead of sleeping.
      if (passes % 5 == 0) logLine("poll-passes " + std::to_string(passes));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  std::thread stopper([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    server.stop();
  });
  server.listen_after_bind();
  stop = true;
  poller.join();
  pthread_kill(stopper.native_handle(), SIGTERM);
  stopper.join();
  endpoint.stop(std::chrono::seconds(5));
  if (recorder != nullptr) redisFree(recorder);
  return 0;
}
