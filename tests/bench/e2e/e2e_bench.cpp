// End to end on loopback: emulator -> examples/webhook_server (verify, parse, router) ->
// Context::passThreadControlToPageInbox -> emulator. Each simulated user writes "human"; the
// event is done when the emulator records the Page Inbox as the thread's owner.
//
//   e2e_bench <webhook_server binary> [users] [in flight]
// Prints RESULT lines: events/s sustained, p50/p99 latency, and the CPU each side used per
// event (the side near a full core, or the serial stage, is the bottleneck).

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "handover/core/types.hpp"
#include "handover/emulator/emulator.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

int freePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return 0;
  }
  const int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

bool listening(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

double cpuSecondsOf(pid_t pid) {  // utime + stime from /proc/<pid>/stat
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close_paren + 2));
  std::string f;
  double utime = 0, stime = 0;
  for (int i = 3; fields >> f; ++i) {
    if (i == 14) utime = std::stod(f);
    if (i == 15) {
      stime = std::stod(f);
      break;
    }
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double selfCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: e2e_bench <webhook_server binary> [users] [in flight]\n");
    return 2;
  }
  const std::string server_bin = argv[1];
  const std::size_t users = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 2000;
  const std::size_t inflight = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 32;
  const std::string page = "1001", app = "2001", token = "bot-token", secret = "bench-secret";

  const int server_port = freePort();
  handover::emulator::Config config;
  handover::emulator::PageConfig p;
  p.id = page;
  p.name = "Bench";
  p.default_app_id = app;
  config.pages.push_back(p);
  handover::emulator::AppConfig a;
  a.id = app;
  a.name = "Bot";
  a.page_access_token = token;
  a.app_secret = secret;
  a.webhook_url = "http://127.0.0.1:" + std::to_string(server_port) + "/webhook";
  a.subscribed_fields = {"messages", "standby", "messaging_handovers"};
  config.apps.push_back(a);
  handover::emulator::Emulator emu(config);
  auto started = emu.start();
  if (!started) {
    std::fprintf(stderr, "emulator: %s\n", started.error().toString().c_str());
    return 1;
  }

  const pid_t server = fork();
  if (server == 0) {
    const int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, STDOUT_FILENO);  // it prints every event; the terminal is not under test
    const std::string port = std::to_string(server_port), graph = emu.baseUrl();
    execl(server_bin.c_str(), server_bin.c_str(), "--port", port.c_str(), "--secret",
          secret.c_str(), "--verify-token", "bench", "--page-token", token.c_str(), "--app-id",
          app.c_str(), "--graph-url", graph.c_str(), "--max-seconds", "300", nullptr);
    std::_Exit(127);
  }
  const auto stopServer = [&] {
    kill(server, SIGTERM);
    int status = 0;
    waitpid(server, &status, 0);
  };
  const auto up_by = Clock::now() + 10s;
  while (!listening(server_port) && Clock::now() < up_by) std::this_thread::sleep_for(10ms);
  if (!listening(server_port)) {
    std::fprintf(stderr, "webhook_server did not start on port %d\n", server_port);
    stopServer();
    return 1;
  }

  struct Pending {
    std::string user;
    Clock::time_point sent;
  };
  std::deque<Pending> open;
  std::vector<double> latency_ms;
  latency_ms.reserve(users);
  std::size_t next = 0, failed = 0;
  const double server_cpu0 = cpuSecondsOf(server), self_cpu0 = selfCpuSeconds();
  const auto t0 = Clock::now();
  const auto give_up = t0 + 120s;  // bounded run
  while ((next < users || !open.empty()) && Clock::now() < give_up) {
    while (next < users && open.size() < inflight) {
      const std::string user = std::to_string(7000000000000000 + next++);  // Graph ids are digits
      const auto sent = Clock::now();
      if (!emu.sendUserMessage({page, user, "human", ""})) {
        ++failed;
        continue;
      }
      open.push_back({user, sent});
    }
    bool progressed = false;
    for (auto it = open.begin(); it != open.end();) {
      auto state = emu.threadState(page, it->user);
      if (state && state->owner_app_id == handover::kPageInboxAppId) {
        latency_ms.push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - it->sent).count());
        it = open.erase(it);
        progressed = true;
      } else {
        ++it;
      }
    }
    if (!progressed) std::this_thread::sleep_for(1ms);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const double server_cpu = cpuSecondsOf(server) - server_cpu0;
  const double self_cpu = selfCpuSeconds() - self_cpu0;
  stopServer();
  emu.stop();
  if (latency_ms.empty() || failed > 0 || !open.empty()) {
    std::fprintf(stderr, "e2e: %zu done, %zu failed to inject, %zu unfinished\n", latency_ms.size(),
                 failed, open.size());
    return 1;
  }
  const double n = static_cast<double>(latency_ms.size());
  const std::string c = "e2e_c" + std::to_string(inflight);
  std::printf("RESULT %s_events_per_s %.1f events/s\n", c.c_str(), n / seconds);
  std::printf("RESULT %s_p50_ms %.2f ms\n", c.c_str(), percentile(latency_ms, 0.50));
  std::printf("RESULT %s_p99_ms %.2f ms\n", c.c_str(), percentile(latency_ms, 0.99));
  std::printf("RESULT %s_server_cpu_pct %.0f %%core\n", c.c_str(), 100 * server_cpu / seconds);
  std::printf("RESULT %s_emulator_cpu_pct %.0f %%core\n", c.c_str(), 100 * self_cpu / seconds);
  std::printf("RESULT %s_server_cpu_us %.1f us/event\n", c.c_str(), server_cpu * 1e6 / n);
  std::printf("RESULT %s_emulator_cpu_us %.1f us/event\n", c.c_str(), self_cpu * 1e6 / n);
  return 0;
}
