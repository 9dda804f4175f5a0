#include "app_server.hpp"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "handover/client/client.hpp"
#include "handover/endpoint/endpoint.hpp"
#include "handover/endpoint/httplib_adapter.hpp"

namespace demo {
namespace {

using namespace handover;
using namespace handover::webhook;

std::mutex g_out;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

// "PAGE=TOKEN,PAGE=TOKEN" to a map.
std::map<std::string, std::string> pageTokens(const std::string& spec) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start < spec.size()) {
    std::size_t end = spec.find(',', start);
    if (end == std::string::npos) end = spec.size();
    const std::string item = spec.substr(start, end - start);
    const std::size_t eq = item.find('=');
    if (eq != std::string::npos && eq > 0) out[item.substr(0, eq)] = item.substr(eq + 1);
    start = end + 1;
  }
  return out;
}

}  // namespace

void say(const AppInfo& app, const std::string& text) {
  std::lock_guard<std::mutex> lock(g_out);
  std::cout << "[" << app.name << "] " << text << std::endl;
}

bool mentions(const std::string& text, const std::string& word) {
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
  };
  return lower(text).find(lower(word)) != std::string::npos;
}

int runApp(int argc, char** argv, const std::string& name,
           const std::function<Router(const AppInfo&)>& make_router) {
  AppInfo info;
  info.name = name;
  int port = 0;
  std::string graph_url;
  const std::string usage =
      "usage: " + name +
      " --app-id ID --graph-url URL|- [--port N] [--peer-app-id ID]\n"
      "  One app of the demo (handover_demo starts it): a webhook server on --port (0: any\n"
      "  free one) whose handlers act as the demo's " +
      name +
      ". --graph-url - reads the URL\n"
      "  from stdin once the emulator runs.\n"
      "  env: HANDOVER_APP_SECRET, HANDOVER_PAGE_TOKENS=PAGE=TOKEN[,PAGE=TOKEN]\n";
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::cout << usage;
      return 0;
    }
  }
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const std::string v = argv[i + 1];
    if (a == "--port") {
      port = std::atoi(v.c_str());
    } else if (a == "--app-id") {
      info.app_id = v;
    } else if (a == "--peer-app-id") {
      info.peer_app_id = v;
    } else if (a == "--graph-url") {
      graph_url = v;
    } else {
      std::cerr << name << ": unknown option " << a << "\n";
      return 2;
    }
  }
  const std::string secret = env("HANDOVER_APP_SECRET");
  const auto tokens = pageTokens(env("HANDOVER_PAGE_TOKENS"));
  if (info.app_id.empty() || secret.empty() || tokens.empty() || graph_url.empty()) {
    std::cerr << usage;
    return 2;
  }
  const bool supervised = graph_url == "-";

  httplib::Server server;
  const int bound = port == 0 ? server.bind_to_any_port("127.0.0.1")
                              : (server.bind_to_port("127.0.0.1", port) ? port : -1);
  if (bound <= 0) {
    std::cerr << name << ": cannot bind 127.0.0.1:" << port << "\n";
    return 1;
  }
  say(info, "listening on http://127.0.0.1:" + std::to_string(bound) + "/webhook");
  if (supervised && !std::getline(std::cin, graph_url)) return 1;

  // One client per Page, each addressing its Page by id with that Page's token.
  std::map<std::string, Client> clients;
  for (const auto& [page, token] : tokens) {
    ClientOptions o;
    o.access_token = token;
    o.app_secret = secret;  // appsecret_proof on every call
    o.app_id = info.app_id;
    o.page_id = page;
    o.base_url = graph_url;
    o.deadline = std::chrono::seconds(10);
    clients.emplace(page, Client(o));
  }
  const ClientResolver resolver = [&clients](const std::string& page,
                                             Platform) -> std::optional<Client> {
    auto it = clients.find(page);
    if (it == clients.end()) return std::nullopt;
    return it->second;
  };
  Router router = make_router(info);
  router.onFailure(
      [&info](const DispatchFailure& f) { say(info, "handler failed: " + f.message); });

  // One worker: the handlers run in delivery order.
  EndpointOptions endpoint_options;
  endpoint_options.app_secret = secret;
  endpoint_options.verify_token = "demo";
  endpoint_options.workers = 1;
  endpoint_options.on_event = [&info](const EndpointEvent& e) {
    if (e.kind == EndpointEventKind::kRejected && e.rejection == Rejection::kBadSignature) {
      say(info, "rejected a POST: " + e.message);
    } else if (e.kind == EndpointEventKind::kRejected && e.rejection == Rejection::kUnparsable) {
      say(info, "unparsable body: " + e.message);
    } else if (e.kind != EndpointEventKind::kHandlerFailed) {
      say(info, e.message);  // handler failures: the router's onFailure says them
    }
  };
  Endpoint endpoint(endpoint_options, std::move(router), resolver);
  mountEndpoint(server, "/webhook", endpoint);

  std::thread stdin_watch;
  if (supervised) {
    // EOF on stdin: the supervisor closed it or died. Either way, stop.
    stdin_watch = std::thread([&server] {
      std::string ignored;
      while (std::getline(std::cin, ignored)) {
      }
      server.stop();
    });
  }
  server.listen_after_bind();
  endpoint.stop();
  if (stdin_watch.joinable()) stdin_watch.join();
  say(info, "stopped");
  return 0;
}

}  // namespace demo
