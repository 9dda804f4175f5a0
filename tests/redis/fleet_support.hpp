#pragma once
// The fleet tests' instruments: a round-robin load balancer in front of the webhook servers (it
// re-sends some POSTs, as Meta does after a timeout), fleet_server processes, and the count of
// what the fleet handled, read from the Redis the servers record in (outside the Redis under
// test in the failover tests). Shared by fleet_test.cpp and fleet_failover_test.cpp.

#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "handover/core/export.hpp"
#include "handover/emulator/config.hpp"

extern char** environ;

HANDOVER_BEGIN_NAMESPACE
namespace redis::fleet {

inline constexpr const char* kPage = "300300300";
inline constexpr const char* kBot = "1111111111";
inline constexpr const char* kSecret = "fleet-secret";
inline constexpr const char* kToken = "fleet-bot-token";

// Meta -> load balancer -> fleet. Round-robin; every third POST is also sent to the other
// backend afterwards (a redelivery, as Meta does after a timeout); an unreachable backend
// answers 502 so the sender retries, and the next try goes to the next backend.
// It listens from construction; its backends are set once the servers run (they need the
// emulator's URL, which needs the balancer's), so every port is bound, never guessed.
// The emulator of every fleet test: one routing-era page whose bot's webhook is `webhook_url`
// (the balancer), one event per POST (more POSTs to spread and re-send), redeliveries backing
// off from `initial_backoff` to `max_backoff`.
inline emulator::Config fleetEmulator(const std::string& webhook_url,
                                      std::vector<std::string> subscribed_fields,
                                      std::chrono::milliseconds initial_backoff,
                                      std::chrono::milliseconds max_backoff) {
  emulator::Config config;
  config.delivery.initial_backoff = initial_backoff;
  config.delivery.max_backoff = max_backoff;
  config.delivery.max_batch = 1;
  config.pages.push_back(
      {kPage, "Fleet Shop", Platform::kMessenger, emulator::Era::kRouting, kBot});
  emulator::AppConfig bot;
  bot.id = kBot;
  bot.name = "Fleet bot";
  bot.page_access_token = kToken;
  bot.app_secret = kSecret;
  bot.subscribed_fields = std::move(subscribed_fields);
  bot.webhook_url = webhook_url;
  config.apps.push_back(bot);
  return config;
}

class Balancer {
 public:
  Balancer() {
    server_.Post("/webhook", [this](const httplib::Request& req, httplib::Response& res) {
      std::size_t n = 0;
      std::vector<int> backends;
      {
        std::lock_guard<std::mutex> lock(mu_);
        bodies_.push_back(req.body);
        n = posts_++;
        backends = backends_;
      }
      if (backends.empty()) {
        res.status = 503;  // not wired yet: the sender retries
        ++refused_;
        return;
      }
      const std::size_t first = n % backends.size();
      auto r = forward(backends[first], req);
      res.status = r ? r->status : 502;
      if (res.status >= 300) ++refused_;
      if (n % 3 == 2) {
        auto again = forward(backends[(first + 1) % backends.size()], req);
        if (again) ++resent_;
      }
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~Balancer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/webhook"; }
  void setBackends(std::vector<int> ports) {
    std::lock_guard<std::mutex> lock(mu_);
    backends_ = std::move(ports);
  }
  std::vector<std::string> bodies() const {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }
  std::size_t resent() const { return resent_; }
  std::size_t refused() const { return refused_; }  ///< POSTs answered non-2xx.

 private:
  static httplib::Result forward(int port, const httplib::Request& req) {
    httplib::Client c("127.0.0.1", port);
    c.set_connection_timeout(1, 0);
    c.set_read_timeout(5, 0);
    httplib::Headers h;
    for (const char* name : {"X-Hub-Signature-256", "X-Hub-Signature"}) {
      if (req.has_header(name)) h.emplace(name, req.get_header_value(name));
    }
    return c.Post("/webhook", h, req.body, "application/json");
  }

  std::vector<int> backends_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  std::vector<std::string> bodies_;
  std::size_t posts_ = 0;
  std::atomic<std::size_t> resent_{0};
  std::atomic<std::size_t> refused_{0};
};

class ServerProcess {
 public:
  ServerProcess(const std::string& dir, const std::string& name, int redis_port,
                const std::string& prefix, const std::string& graph_url,
                const std::string& quiet_ms = "800", const std::vector<std::string>& extra = {})
      : log_(dir + "/" + name + ".log"), port_file_(dir + "/" + name + ".port") {
    ::unlink(port_file_.c_str());  // a restarted server must not read its predecessor's port
    std::vector<std::string> args{HANDOVER_FLEET_SERVER,
                                  "--redis-port",
                                  std::to_string(redis_port),
                                  "--prefix",
                                  prefix,
                                  "--secret",
                                  kSecret,
                                  "--app-id",
                                  kBot,
                                  "--token",
                                  kToken,
                                  "--graph-url",
                                  graph_url,
                                  "--quiet-ms",
                                  quiet_ms,
                                  "--log",
                                  log_,
                                  "--port-file",
                                  port_file_};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
      throw std::runtime_error("cannot start the fleet server");
    }
    for (int i = 0; i < 500 && port_ == 0; ++i) {
      std::ifstream in(port_file_);
      if (!(in >> port_)) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (port_ == 0) throw std::runtime_error("the fleet server did not start");
  }
  ~ServerProcess() { stop(SIGKILL); }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  /// Exit status; SIGKILL: the process dies mid-run without cleanup.
  int stop(int sig) {
    if (pid_ <= 0) return 0;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  /// Poll passes the server reported so far (its log has one line per five).
  std::size_t pollPasses() const {
    std::size_t n = 0;
    for (const auto& l : lines()) {
      if (l.rfind("poll-passes ", 0) == 0) n = std::stoul(l.substr(12));
    }
    return n;
  }
  std::vector<std::string> lines() const {
    std::ifstream in(log_);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }

 private:
  std::string log_, port_file_;
  pid_t pid_ = -1;
  int port_ = 0;
};

inline bool waitFor(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

/// What the fleet recorded as handled (`--record-handled 1`): event key → times, read with
/// redis-cli from the recorder at `port`.
inline std::map<std::string, long> handledCounts(int port, const std::string& prefix) {
  std::map<std::string, long> out;
  const std::string cmd =
      "redis-cli -p " + std::to_string(port) + " --raw hgetall '" + prefix + "handled'";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return out;
  std::string text;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) text.append(buf, n);
  ::pclose(pipe);
  std::istringstream in(text);
  for (std::string k, v; std::getline(in, k) && std::getline(in, v);) out[k] = std::stol(v);
  return out;
}

}  // namespace redis::fleet
HANDOVER_END_NAMESPACE
