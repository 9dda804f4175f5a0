#pragma once
// Redis for tests: the shared server of the CTest fixture (its port in the file named by
// HANDOVER_REDIS_PORT_FILE), unique key prefixes, and private servers to break on purpose.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "handover/redis/redis_store.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace redis::test {

/// The fixture's Redis port; throws (the test fails, never skips) when there is none.
inline int sharedRedisPort() {
  const char* file = std::getenv("HANDOVER_REDIS_PORT_FILE");
  if (!file) throw std::runtime_error("HANDOVER_REDIS_PORT_FILE is not set: run through ctest");
  std::ifstream in(file);
  int port = 0;
  if (!(in >> port) || port <= 0) {
    throw std::runtime_error(std::string("no Redis port in ") + file +
                             ": the redis fixture (redis_fixture_start) failed");
  }
  return port;
}

/// Keys of one test never meet another's.
inline std::string uniquePrefix(const std::string& name) {
  std::random_device rd;
  return "test:" + name + ":" + std::to_string(rd()) + std::to_string(::getpid()) + ":";
}

inline RedisOptions sharedRedis(const std::string& prefix) {
  RedisOptions o;
  o.port = sharedRedisPort();
  o.key_prefix = prefix;
  return o;
}

inline int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

inline int run(const std::string& cmd) {
  return std::system((cmd + " >/dev/null 2>&1").c_str());
}

/// What `redis-cli -p port ARGS` prints (stdout).
inline std::string cliOutput(int port, const std::string& args) {
  char name[] = "/tmp/handover-cli-XXXXXX";
  const int fd = ::mkstemp(name);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  ::close(fd);
  (void)std::system(
      ("redis-cli -p " + std::to_string(port) + " " + args + " > '" + name + "' 2>/dev/null")
          .c_str());
  std::ifstream in(name);
  std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ::unlink(name);
  return out;
}

/// A redis-server of the test's own, with an append-only file so a restart keeps the data.
/// `extra` is added to its command line (e.g. "--replicaof 127.0.0.1 6379").
class PrivateRedis {
 public:
  explicit PrivateRedis(std::string extra = {}) : extra_(std::move(extra)) {
    char dir[] = "/tmp/handover-redis-XXXXXX";
    if (!::mkdtemp(dir)) throw std::runtime_error("mkdtemp failed");
    dir_ = dir;
    // redis-server binds its own socket, so a port cannot be handed over bound: a port taken
    // between our probe and its bind makes it fail to start (or answer as someone else), and
    // another port is tried.
    for (int attempt = 0; attempt < 20; ++attempt) {
      port_ = freePort();
      if (tryStart()) return;
    }
    throw std::runtime_error("redis-server did not start on any of 20 free ports");
  }
  ~PrivateRedis() {
    stop();
    run("rm -rf '" + dir_ + "'");
  }
  PrivateRedis(const PrivateRedis&) = delete;
  PrivateRedis& operator=(const PrivateRedis&) = delete;

  int port() const { return port_; }
  /// Starts it again on its port (after stop()); the append-only file keeps the data.
  void start() {
    if (!tryStart()) throw std::runtime_error("redis-server did not start again");
  }
  /// SHUTDOWN: the append-only file is synced, the process exits.
  void stop() {
    cli("shutdown");
    for (int i = 0; i < 100 && cli("ping") == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  int cli(const std::string& args) const {
    return run("redis-cli -p " + std::to_string(port_) + " " + args);
  }
  /// SIGKILL: what the append-only file had synced survives, nothing else is said.
  void kill() {
    std::ifstream in(dir_ + "/redis.pid");
    std::string pid;
    if (in >> pid) run("kill -9 " + pid);
    for (int i = 0; i < 100 && cli("ping") == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  /// The value of `field` in `INFO section` ("" when absent).
  std::string info(const std::string& section, const std::string& field) const {
    const std::string out = dir_ + "/info.txt";
    (void)std::system(("redis-cli -p " + std::to_string(port_) + " info " + section + " > '" + out +
                       "' 2>/dev/null")
                          .c_str());
    std::ifstream in(out);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(field + ":", 0) == 0) {
        std::string v = line.substr(field.size() + 1);
        if (!v.empty() && v.back() == '\r') v.pop_back();
        return v;
      }
    }
    return {};
  }
  const std::string& dir() const { return dir_; }

 private:
  // Starts redis-server on port_ and waits until the server answering there is ours.
  bool tryStart() {
    const std::string p = std::to_string(port_);
    const std::string pidfile = dir_ + "/redis.pid";
    ::unlink(pidfile.c_str());
    if (run("redis-server --bind 127.0.0.1 --port " + p +
            " --save '' --appendonly yes --appendfsync always --daemonize yes --dir '" + dir_ +
            "' --pidfile '" + pidfile + "' --logfile '" + dir_ + "/redis.log' " + extra_) != 0) {
      return false;
    }
    for (int i = 0; i < 100; ++i) {
      std::ifstream in(pidfile);
      std::string pid;
      if (in >> pid && cli("info server | grep -qw process_id:" + pid) == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  std::string extra_;
  int port_ = 0;
  std::string dir_;
};

/// A Sentinel of the test's own (`redis-server CONF --sentinel`, its config file writable, as
/// Sentinel rewrites it), monitoring `service` at the primary's port with the given quorum and
/// quick timeouts so a failover takes a few seconds.
class PrivateSentinel {
 public:
  PrivateSentinel(const std::string& service, int primary_port, int quorum) {
    char dir[] = "/tmp/handover-sentinel-XXXXXX";
    if (!::mkdtemp(dir)) throw std::runtime_error("mkdtemp failed");
    dir_ = dir;
    for (int attempt = 0; attempt < 20; ++attempt) {
      port_ = freePort();
      std::ofstream conf(dir_ + "/sentinel.conf");
      conf << "port " << port_ << "\nbind 127.0.0.1\ndaemonize yes\n"
           << "pidfile " << dir_ << "/sentinel.pid\nlogfile " << dir_ << "/sentinel.log\n"
           << "dir " << dir_ << "\n"
           << "sentinel monitor " << service << " 127.0.0.1 " << primary_port << " " << quorum
           << "\nsentinel down-after-milliseconds " << service << " 1000\n"
           << "sentinel failover-timeout " << service << " 4000\n"
           << "sentinel parallel-syncs " << service << " 1\n";
      conf.close();
      if (run("redis-server '" + dir_ + "/sentinel.conf' --sentinel") != 0) continue;
      for (int i = 0; i < 100; ++i) {
        if (run("redis-cli -p " + std::to_string(port_) + " ping") == 0) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    throw std::runtime_error("redis-server --sentinel did not start on any of 20 free ports");
  }
  ~PrivateSentinel() {
    std::ifstream in(dir_ + "/sentinel.pid");
    std::string pid;
    if (in >> pid) run("kill -9 " + pid);
    run("rm -rf '" + dir_ + "'");
  }
  PrivateSentinel(const PrivateSentinel&) = delete;
  PrivateSentinel& operator=(const PrivateSentinel&) = delete;
  int port() const { return port_; }
  /// The primary's port this Sentinel names for `service` now (0 when none).
  int primaryPort(const std::string& service) const {
    const std::string out = cliOutput(port_, "sentinel get-master-addr-by-name '" + service + "'");
    const auto nl = out.find('\n');
    if (nl == std::string::npos) return 0;
    try {
      return std::stoi(out.substr(nl + 1));
    } catch (const std::exception&) {
      return 0;
    }
  }

 private:
  int port_ = 0;
  std::string dir_;
};

/// A Redis Cluster of the test's own: three primaries and three replicas
/// (`redis-server --cluster-enabled yes`, `redis-cli --cluster create --cluster-yes`), a node
/// timeout of 2 s so a failover takes seconds, and full coverage not required (a slot whose
/// primary died does not stop the others).
class PrivateCluster {
 public:
  PrivateCluster() {
    std::string create = "redis-cli --cluster create";
    for (int i = 0; i < 6; ++i) {
      nodes_.push_back(std::make_unique<PrivateRedis>(
          "--cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 2000 "
          "--cluster-require-full-coverage no"));
      create += " 127.0.0.1:" + std::to_string(nodes_.back()->port());
    }
    if (run(create + " --cluster-replicas 1 --cluster-yes") != 0) {
      throw std::runtime_error("redis-cli --cluster create failed");
    }
    if (!waitUntilOk()) throw std::runtime_error("the cluster never reported cluster_state:ok");
    // And every replica has its copy: a test waiting for replicas must not see them syncing.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (const auto& n : nodes_) {
      while (n->info("replication", "role") == "slave" &&
             n->info("replication", "master_link_status") != "up") {
        if (std::chrono::steady_clock::now() > until) {
          throw std::runtime_error("a cluster replica never finished its first sync");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  }
  /// Every live node reports cluster_state:ok and agrees on three primaries.
  bool waitUntilOk(std::chrono::seconds bound = std::chrono::seconds(30)) const {
    const auto until = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < until) {
      bool ok = true;
      for (const auto& n : nodes_) {
        if (n->cli("ping") != 0) continue;  // a killed node
        ok = ok &&
             cliOutput(n->port(), "cluster info").find("cluster_state:ok") != std::string::npos;
      }
      if (ok) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  PrivateRedis& node(std::size_t i) { return *nodes_[i]; }
  std::size_t size() const { return nodes_.size(); }
  /// The port of the primary serving `slot` now, as the node at `ask_port` sees it.
  int primaryOf(int slot, int ask_port) const {
    const std::string nodes = cliOutput(ask_port, "cluster nodes");
    std::size_t from = 0;
    for (std::size_t nl = nodes.find('\n'); nl != std::string::npos; nl = nodes.find('\n', from)) {
      const std::string line = nodes.substr(from, nl - from);
      from = nl + 1;
      if (line.find("master") == std::string::npos || line.find("fail") != std::string::npos) {
        continue;
      }
      // <id> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <state> <slots...>
      std::vector<std::string> f;
      std::size_t a = 0;
      for (std::size_t b = line.find(' ');; b = line.find(' ', a)) {
        f.push_back(line.substr(a, b == std::string::npos ? std::string::npos : b - a));
        if (b == std::string::npos) break;
        a = b + 1;
      }
      for (std::size_t k = 8; k < f.size(); ++k) {
        const auto dash = f[k].find('-');
        if (f[k].empty() || f[k][0] == '[') continue;
        const int lo = std::stoi(f[k].substr(0, dash));
        const int hi = dash == std::string::npos ? lo : std::stoi(f[k].substr(dash + 1));
        if (slot >= lo && slot <= hi) {
          const std::string addr = f[1].substr(0, f[1].find('@'));
          return std::stoi(addr.substr(addr.rfind(':') + 1));
        }
      }
    }
    return 0;
  }
  /// Moves `slot` from its primary to the primary at `to`, as a resharding tool does: importing
  /// and migrating states, the keys moved (MIGRATE), then the slot assigned everywhere.
  void migrateSlot(int slot, int to) { finishMigration(slot, beginMigration(slot, to), to); }
  /// The first half of `migrateSlot`: the slot importing at `to`, migrating at its primary
  /// (returned; 0 if either node refused). Until `finishMigration`, its keys stay at the
  /// source: commands meet ASK and TRYAGAIN.
  int beginMigration(int slot, int to) {
    const int from = primaryOf(slot, to);
    const std::string s = std::to_string(slot);
    const bool importing = run("redis-cli -p " + std::to_string(to) + " cluster setslot " + s +
                               " importing " + idOf(from)) == 0;
    const bool migrating = run("redis-cli -p " + std::to_string(from) + " cluster setslot " + s +
                               " migrating " + idOf(to)) == 0;
    return importing && migrating ? from : 0;
  }
  /// The second half: the slot's keys moved from `from` to `to`, the slot assigned to `to` on
  /// every live node.
  void finishMigration(int slot, int from, int to) {
    const std::string s = std::to_string(slot);
    const std::string keys = cliOutput(from, "cluster getkeysinslot " + s + " 1000");
    std::string key_args;
    std::size_t a = 0;
    for (std::size_t nl = keys.find('\n'); nl != std::string::npos; nl = keys.find('\n', a)) {
      key_args += " '" + keys.substr(a, nl - a) + "'";
      a = nl + 1;
    }
    if (!key_args.empty()) {
      run("redis-cli -p " + std::to_string(from) + " migrate 127.0.0.1 " + std::to_string(to) +
          " '' 0 5000 keys" + key_args);
    }
    for (const auto& n : nodes_) {
      if (n->cli("ping") == 0) {
        run("redis-cli -p " + std::to_string(n->port()) + " cluster setslot " + s + " node " +
            idOf(to));
      }
    }
  }
  /// A live primary other than the one at `port`.
  int otherPrimary(int port) const {
    for (const auto& n : nodes_) {
      if (n->port() != port && n->cli("ping") == 0 &&
          cliOutput(n->port(), "role").rfind("master", 0) == 0) {
        return n->port();
      }
    }
    return 0;
  }
  /// The node id of the node listening on `port`.
  std::string idOf(int port) const {
    std::string id = cliOutput(port, "cluster myid");
    while (!id.empty() && (id.back() == '\n' || id.back() == '\r')) id.pop_back();
    return id;
  }

 private:
  std::vector<std::unique_ptr<PrivateRedis>> nodes_;
};

}  // namespace redis::test
HANDOVER_END_NAMESPACE
