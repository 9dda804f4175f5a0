// A webhook endpoint for Messenger and Instagram on `webhook::Endpoint` and its cpp-httplib
// adapter: the GET handshake, `X-Hub-Signature-256` over the raw body, 200 once the body is
// queued, handlers on the endpoint's workers (Meta wants 200 within seconds and redelivers
// otherwise), de-duplication of redeliveries, and Prometheus metrics on GET /metrics. Only the
// business logic (the router) is this file's.
//
//   export HANDOVER_APP_SECRET=... HANDOVER_VERIFY_TOKEN=... HANDOVER_PAGE_TOKEN=...
//   HANDOVER_APP_ID=... ./webhook_server --port 8080
//
// Options (each also read from the environment variable in brackets):
//   --host H           address to bind (127.0.0.1; put a TLS proxy in front in production)
//   --port N           port; 0 picks a free one. The chosen port is printed on the first line.
//   --secret S         [HANDOVER_APP_SECRET]    app secret: signatures are checked with it
//   --verify-token T   [HANDOVER_VERIFY_TOKEN]  token typed in the App Dashboard
//   --page-token T     [HANDOVER_PAGE_TOKEN]    Page access token for thread-control calls
//   --app-id ID        [HANDOVER_APP_ID]        this app's id: tells our echoes from a human's
//   --graph-url URL    [HANDOVER_GRAPH_URL]     Graph API base URL (the emulator, in tests)
//   --max-seconds N    exit after N seconds (0: run until SIGTERM/SIGINT)
//
// Behaviour: a user who writes "human" is passed to the inbox (Page Inbox or Instagram Inbox);
// an echo from someone else (an agent in the inbox) is logged; every event is printed.

#include <httplib.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

#include "handover/client/client.hpp"
#include "handover/endpoint/endpoint.hpp"
#include "handover/endpoint/httplib_adapter.hpp"
#include "handover/webhook/router.hpp"

namespace {

using namespace handover;
using namespace handover::webhook;

struct Config {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string secret, verify_token, page_token, app_id, graph_url;
  long max_seconds = 0;
};

constexpr const char* kUsage =
    "usage: webhook_server [--host H] [--port N] [--secret S] [--verify-token T]\n"
    "                      [--page-token T] [--app-id ID] [--graph-url URL] [--max-seconds N]\n"
    "A Messenger/Instagram webhook endpoint: answers the GET handshake, checks\n"
    "X-Hub-Signature-256 over the raw body, answers 200 once the body is queued and runs the\n"
    "handlers on worker threads; GET /metrics serves Prometheus metrics. A user who writes\n"
    "\"human\" is passed to the inbox; every event is printed.\n"
    "Options (each also read from the environment variable in brackets):\n"
    "  --host H           address to bind (default 127.0.0.1; put a TLS proxy in front)\n"
    "  --port N           port (default 8080); 0 picks a free one, printed on the first line\n"
    "  --secret S         [HANDOVER_APP_SECRET]    app secret: signatures are checked with it\n"
    "  --verify-token T   [HANDOVER_VERIFY_TOKEN]  token typed in the App Dashboard\n"
    "  --page-token T     [HANDOVER_PAGE_TOKEN]    Page access token for thread-control calls\n"
    "  --app-id ID        [HANDOVER_APP_ID]        this app's id: tells our echoes from others'\n"
    "  --graph-url URL    [HANDOVER_GRAPH_URL]     Graph API base URL (the emulator, in tests)\n"
    "  --max-seconds N    exit after N seconds (default 0: run until SIGTERM/SIGINT)\n"
    "Prefer the environment for the secret and tokens: arguments show in ps and shell history.\n";

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

bool parseArgs(int argc, char** argv, Config& c) {
  c.secret = env("HANDOVER_APP_SECRET");
  c.verify_token = env("HANDOVER_VERIFY_TOKEN");
  c.page_token = env("HANDOVER_PAGE_TOKEN");
  c.app_id = env("HANDOVER_APP_ID");
  c.graph_url = env("HANDOVER_GRAPH_URL");
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (i + 1 >= argc) {
      std::cerr << "missing value for " << a << " (see --help)\n";
      return false;
    }
    const std::string v = argv[++i];
    try {
      if (a == "--host") {
        c.host = v;
      } else if (a == "--port") {
        c.port = std::stoi(v);
      } else if (a == "--secret") {
        c.secret = v;
      } else if (a == "--verify-token") {
        c.verify_token = v;
      } else if (a == "--page-token") {
        c.page_token = v;
      } else if (a == "--app-id") {
        c.app_id = v;
      } else if (a == "--graph-url") {
        c.graph_url = v;
      } else if (a == "--max-seconds") {
        c.max_seconds = std::stol(v);
      } else {
        std::cerr << "unknown option " << a << "\n";
        return false;
      }
    } catch (const std::exception&) {
      std::cerr << "bad value for " << a << "\n";
      return false;
    }
  }
  if (c.secret.empty() || c.verify_token.empty()) {
    std::cerr << "an app secret and a verify token are required (see the header comment)\n";
    return false;
  }
  return true;
}

std::mutex g_out;
void say(const std::string& line) {
  std::lock_guard<std::mutex> lock(g_out);
  std::cout << line << std::endl;  // flushed: a supervisor (or a test) reads it line by line
}

Router makeRouter() {
  Router router;
  router.onMessage([](Context& ctx, const Message& m) -> Result<void> {
    if (m.text != "human") return {};
    // The inbox of the conversation's platform: Page Inbox or Instagram Inbox.
    auto r = ctx.passThreadControlToInbox("user asked for a human");
    if (r) say("passed " + ctx.userId() + " to the inbox");
    return r;
  });
  router.onEcho(
      [](Context& ctx, const Echo& e) {
        if (!ctx.isOwnEcho()) {
          say("a human or another app (" + e.app_id.value_or("unknown") + ") replied to " +
              ctx.userId());
        }
      },
      Source::kAny);
  router.onPassThreadControl([](Context& ctx, const PassThreadControl& p) {
    if (p.new_owner_app_id && *p.new_owner_app_id == ctx.appId()) {
      say("control of " + ctx.userId() + " is back with us");
    }
  });
  router.onAny([](Context& ctx, const Event& e) -> Result<void> {
    std::string line = std::string("event ") + toString(e.kind()) + " page=" + ctx.pageId() +
                       " user=" + ctx.userId() + " standby=" + (e.standby ? "1" : "0");
    if (const auto* m = e.get<Message>()) line += " mid=" + m->mid;
    say(line);
    return {};
  });
  router.onFailure([](const DispatchFailure& f) { say("handler failure: " + f.message); });
  return router;
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  if (!parseArgs(argc, argv, cfg)) return 2;

  // Signals are taken by one thread with sigwait, so stopping the server is not done inside a
  // signal handler. Block them before any thread starts so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ClientOptions options;
  options.access_token = cfg.page_token;
  options.app_secret = cfg.secret;
  options.app_id = cfg.app_id;
  if (!cfg.graph_url.empty()) options.base_url = cfg.graph_url;
  const Client client(options);

  EndpointOptions endpoint_options;
  endpoint_options.app_secret = cfg.secret;
  endpoint_options.verify_token = cfg.verify_token;
  endpoint_options.on_event = [](const EndpointEvent& e) {
    switch (e.kind) {
      case EndpointEventKind::kRejected:
        if (e.rejection == Rejection::kBadSignature) {
          say("rejected a POST: " + e.message);
        } else if (e.rejection == Rejection::kUnparsable) {
          say("unparsable body: " + e.message);
        } else {
          say(std::string("rejected (") + toString(*e.rejection) + "): " + e.message);
        }
        break;
      case EndpointEventKind::kDashboardTest:
        say("dashboard test payload received");
        break;
      case EndpointEventKind::kHandlerFailed:
        break;  // the router's onFailure prints it
      case EndpointEventKind::kRetried:
      case EndpointEventKind::kDeadLettered:
      case EndpointEventKind::kQueueError:
      case EndpointEventKind::kSlowBatch:
        say(e.message);
        break;
    }
  };
  // MemoryQueue by default: bodies answered 200 but not yet handled are lost if this process
  // dies. examples/fleet_server.cpp shows the Redis-backed setup for a fleet.
  Endpoint endpoint(endpoint_options, makeRouter(), client);

  httplib::Server server;
  mountEndpoint(server, "/webhook", endpoint);
  server.Get("/metrics", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(endpoint.metricsText(), "text/plain; version=0.0.4");
  });
  server.set_idle_interval(0, 100000);

  const int port = cfg.port == 0 ? server.bind_to_any_port(cfg.host)
                                 : (server.bind_to_port(cfg.host, cfg.port) ? cfg.port : -1);
  if (port <= 0) {
    std::cerr << "cannot bind " << cfg.host << ":" << cfg.port << "\n";
    return 1;
  }
  say("listening on http://" + cfg.host + ":" + std::to_string(port) + "/webhook");

  std::thread stopper([&] {
    if (cfg.max_seconds > 0) {
      timespec limit{static_cast<time_t>(cfg.max_seconds), 0};
      sigtimedwait(&signals, nullptr, &limit);
    } else {
      int sig = 0;
      sigwait(&signals, &sig);
    }
    server.stop();
  });

  server.listen_after_bind();
  // listen returns when stopped (or on a fatal socket error): make sure the stopper ends too.
  pthread_kill(stopper.native_handle(), SIGTERM);
  stopper.join();
  const StopReport drained = endpoint.stop(std::chrono::seconds(10));
  if (!drained.drained) say(std::to_string(drained.left) + " queued bodies were not handled");
  say("stopped");
  return 0;
}
