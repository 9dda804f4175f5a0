// One webhook server of the fleet test: checks the signature, de-duplicates through Redis,
// feeds the tracker, and polls due take-backs. Several run at once behind a load balancer.
//
//   tracker_fleet_server --redis-port P --prefix K --secret S --app-id A --token T
//                        --graph-url U --quiet-ms N --log FILE --port-file FILE
//
// FILE gets one line per handled event ("event <dedup key>") and per policy action
// ("action <name> <page> <user> ok|failed"), flushed at once so a killed server's work counts.

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

#include "handover/client.hpp"
#include "handover/tracker/dedup.hpp"
#include "handover/tracker/redis_store.hpp"
#include "handover/tracker/thread_tracker.hpp"
#include "handover/webhook/parser.hpp"
#include "handover/webhook/signature.hpp"

namespace {

using namespace handover;

std::mutex g_log_mu;
std::ofstream g_log;

void logLine(const std::string& line) {
  std::lock_guard<std::mutex> lock(g_log_mu);
  g_log << line << std::endl;  // flushed: a SIGKILL must not lose written lines
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> args;
  for (int i = 1; i + 1 < argc; i += 2) args[argv[i]] = argv[i + 1];
  for (const char* required : {"--redis-port", "--prefix", "--secret", "--app-id", "--token",
                               "--graph-url", "--quiet-ms", "--log", "--port-file"}) {
    if (!args.count(required)) {
      std::cerr << "missing " << required << "\n";
      return 2;
    }
  }
  g_log.open(args["--log"], std::ios::app);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  tracker::RedisOptions ro;
  ro.port = std::stoi(args["--redis-port"]);
  ro.key_prefix = args["--prefix"];
  auto store = std::make_shared<tracker::RedisStore>(ro);

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
  tracker::ThreadTracker tracker(store, Client(co), to);
  tracker::Deduplicator dedup(store);
  const std::string secret = args["--secret"];

  httplib::Server server;
  server.Post("/webhook", [&](const httplib::Request& req, httplib::Response& res) {
    HttpHeaders headers;
    for (const auto& [k, v] : req.headers) headers.emplace_back(k, v);
    if (!webhook::verifySignature(req.body, headers, secret)) {
      res.status = 403;
      return;
    }
    auto batch = webhook::parse(req.body);
    if (!batch) {
      res.status = 400;
      return;
    }
    auto admitted = dedup.admit(*batch);
    if (!admitted) {
      res.status = 500;  // the store is down: Meta (here the emulator) redelivers
      return;
    }
    auto observed = tracker.observe(admitted->fresh);
    if (!observed) {
      (void)dedup.abandon(*admitted);
      res.status = 500;
      return;
    }
    for (const std::string& key : admitted->keys) logLine("event " + key);
    if (!dedup.complete(*admitted)) {
      res.status = 500;
      return;
    }
    res.status = admitted->in_flight > 0 ? 503 : 200;
  });

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
      (void)tracker.poll();  // a store failure is retried on the next pass
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
  return 0;
}
