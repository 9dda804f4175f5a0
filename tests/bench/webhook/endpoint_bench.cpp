// A webhook server's cost per delivery, three ways, on loopback:
//   raw     a cpp-httplib server that checks the HMAC and answers 200, no SDK (the baseline)
//   memory  Endpoint + MemoryQueue on the cpp-httplib adapter, a no-op handler
//   redis   Endpoint + RedisStreamQueue (and de-duplication in a RedisStore), a no-op handler
// The server runs in a child process. Two CPU figures (user + system) per server: at the last
// answer ("ack": for Endpoint the handlers are held back until then, so it is the acknowledge
// path alone: verify, parse, queue, answer), and at exit after the workers handled every body
// ("total", from wait4). Redis' own CPU is not counted (it is another process). The driver sends
// signed POSTs over keep-alive connections from threads (or, with `close`, each on a fresh
// connection with `Connection: close`: a keep-alive ack held back by Nagle's algorithm against a
// delayed ACK shows as keep-alive slower than close) and prints RESULT lines for
// tests/bench/run.sh.
//
//   endpoint_bench <raw|memory|redis> <requests> <connections> [redis port] [keepalive|close]
//                  [wait replicas] [result name]
// `wait replicas` > 0 sets RedisOptions::wait_replicas (WAIT after each enqueue and store
// write); `result name` replaces the mode in the RESULT names (e.g. redis_everysec).

#include <httplib.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "handover/endpoint/endpoint.hpp"
#include "handover/endpoint/httplib_adapter.hpp"
#include "handover/redis/redis_store.hpp"
#include "handover/redis/redis_stream_queue.hpp"
#include "handover/testing/fake_connection.hpp"
#include "handover/tracker/memory_store.hpp"

namespace {

using namespace handover;
using namespace handover::webhook;
constexpr const char* kSecret = "bench-secret";

std::string body(std::size_t i) {
  return R"({"object":"page","entry":[{"id":"106500000000001","time":1763770000000,"messaging":[)"
         R"({"sender":{"id":"70000000000)" +
         std::to_string(10000 + i % 5000) +
         R"("},"recipient":{"id":"106500000000001"},"timestamp":1763769999900,)"
         R"("message":{"mid":"m_bench_)" +
         std::to_string(i) + R"(","text":"hello there, a typical message"}}]}]})";
}

// The child: serves until SIGTERM, then drains and exits. Writes its port to `port_fd`.
double cpuMicros(const rusage& u) {
  return (static_cast<double>(u.ru_utime.tv_sec) + static_cast<double>(u.ru_stime.tv_sec)) * 1e6 +
         static_cast<double>(u.ru_utime.tv_usec) + static_cast<double>(u.ru_stime.tv_usec);
}

std::atomic<bool> g_release{false};

[[noreturn]] void serve(const std::string& mode, int port_fd, int cpu_fd, int redis_port,
                        int wait_replicas) {
  httplib::Server server;
  std::unique_ptr<Endpoint> endpoint;
  if (mode == "raw") {
    server.set_tcp_nodelay(true);
    server.Post("/webhook", [](const httplib::Request& req, httplib::Response& res) {
      const std::string expected = signatureHeaderValue(req.body, kSecret);
      if (req.get_header_value("X-Hub-Signature-256") != expected) {
        res.status = 403;
        return;
      }
      res.set_content("EVENT_RECEIVED", "text/plain");
    });
  } else {
    EndpointOptions o;
    o.app_secret = kSecret;
    o.verify_token = "bench";
    std::shared_ptr<tracker::Deduplicator> dedup;
    if (mode == "redis") {
      const std::string prefix = "bench:" + std::to_string(::getpid()) + ":";
      redis::RedisStreamQueueOptions qo;
      qo.redis.port = redis_port;
      qo.redis.key_prefix = prefix;
      qo.max_length = 10'000'000;
      qo.redis.wait_replicas = wait_replicas;
      if (wait_replicas > 0) {  // a loaded 2-core machine: a 503 would fail the bench
        qo.redis.wait_timeout = std::chrono::seconds(2);
        qo.redis.command_timeout = std::chrono::seconds(5);
      }
      o.queue = std::make_shared<redis::RedisStreamQueue>(qo);
      redis::RedisOptions ro;
      ro.port = redis_port;
      ro.key_prefix = prefix;
      ro.wait_replicas = wait_replicas;
      ro.wait_timeout = qo.redis.wait_timeout;
      ro.command_timeout = qo.redis.command_timeout;
      dedup = std::make_shared<tracker::Deduplicator>(std::make_shared<redis::RedisStore>(ro));
    } else {
      MemoryQueueOptions qo;
      qo.max_bodies = 10'000'000;
      qo.max_bytes = std::size_t{4} << 30;
      o.queue = std::make_shared<MemoryQueue>(qo);
    }
    Router router;
    // Held until the last answer, so the "ack" figure is the acknowledge path alone.
    router.onMessage([](Context&, const Message&) {
      while (!g_release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
    endpoint = std::make_unique<Endpoint>(
        o, std::move(router), Client(std::make_shared<testing::FakeConnection>()), dedup);
    mountEndpoint(server, "/webhook", *endpoint);
  }
  const int port = server.bind_to_any_port("127.0.0.1");
  if (::write(port_fd, &port, sizeof port) != sizeof port) std::_Exit(1);
  ::close(port_fd);
  std::thread stopper([&] {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGTERM);
    int sig = 0;
    sigwait(&s, &sig);
    server.stop();
  });
  server.listen_after_bind();
  stopper.join();
  rusage at_ack{};
  ::getrusage(RUSAGE_SELF, &at_ack);
  const double ack = cpuMicros(at_ack);
  if (::write(cpu_fd, &ack, sizeof ack) != sizeof ack) std::_Exit(1);
  g_release = true;
  if (endpoint) endpoint->stop(std::chrono::seconds(120));  // the handling counts in "total"
  std::_Exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: endpoint_bench <raw|memory|redis> <requests> <connections> "
                 "[redis port] [keepalive|close] [wait replicas] [result name]\n");
    return 2;
  }
  const std::string mode = argv[1];
  const std::size_t requests = std::stoul(argv[2]);
  const std::size_t connections = std::stoul(argv[3]);
  const int redis_port = argc > 4 ? std::atoi(argv[4]) : 6379;
  const std::string framing = argc > 5 ? argv[5] : "keepalive";
  const int wait_replicas = argc > 6 ? std::atoi(argv[6]) : 0;
  if (mode != "raw" && mode != "memory" && mode != "redis") return 2;
  if (framing != "keepalive" && framing != "close") return 2;
  const bool keep_alive = framing == "keepalive";
  // RESULT names: endpoint_<mode>_c<N>_... for keep-alive, endpoint_<mode>_close_c<N>_... else.
  const std::string label = argc > 7 ? argv[7] : mode;
  const std::string name = keep_alive ? label : label + "_close";

  std::vector<std::string> bodies, signatures;
  for (std::size_t i = 0; i < requests; ++i) {
    bodies.push_back(body(i));
    signatures.push_back(signatureHeaderValue(bodies.back(), kSecret));
  }

  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &s, nullptr);  // the child takes SIGTERM with sigwait
  int fds[2], cpu[2];
  if (::pipe(fds) != 0 || ::pipe(cpu) != 0) return 1;
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(fds[0]);
    ::close(cpu[0]);
    serve(mode, fds[1], cpu[1], redis_port, wait_replicas);
  }
  ::close(fds[1]);
  ::close(cpu[1]);
  int port = 0;
  if (::read(fds[0], &port, sizeof port) != sizeof port || port <= 0) return 1;
  ::close(fds[0]);

  std::atomic<std::size_t> next{0}, failed{0};
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> senders;
  for (std::size_t c = 0; c < connections; ++c) {
    senders.emplace_back([&] {
      httplib::Client http("127.0.0.1", port);
      http.set_keep_alive(keep_alive);
      http.set_tcp_nodelay(true);
      for (std::size_t i; (i = next++) < requests;) {
        auto r = http.Post("/webhook", {{"X-Hub-Signature-256", signatures[i]}}, bodies[i],
                           "application/json");
        if (!r || r->status != 200) ++failed;
      }
    });
  }
  for (auto& t : senders) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ::kill(child, SIGTERM);
  int status = 0;
  rusage usage{};
  double ack_us = 0;
  const bool got_ack = ::read(cpu[0], &ack_us, sizeof ack_us) == sizeof ack_us;
  ::wait4(child, &status, 0, &usage);
  const double cpu_us = cpuMicros(usage);
  if (failed > 0 || !got_ack || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "endpoint_bench %s: %zu requests failed, server status %d\n", name.c_str(),
                 failed.load(), status);
    return 1;
  }
  std::printf("RESULT endpoint_%s_c%zu_rps %.0f req/s\n", name.c_str(), connections,
              static_cast<double>(requests) / seconds);
  std::printf("RESULT endpoint_%s_c%zu_ack_cpu_us %.1f us/event\n", name.c_str(), connections,
              ack_us / static_cast<double>(requests));
  std::printf("RESULT endpoint_%s_c%zu_cpu_us %.1f us/event\n", name.c_str(), connections,
              cpu_us / static_cast<double>(requests));
  return 0;
}
