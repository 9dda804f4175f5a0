// The fleet through the failovers production Redis goes through: three fleet_server processes
// behind the round-robin balancer (which re-sends some POSTs), the emulator delivering 2,000
// events of 80 conversations with a retry window far longer than any failover, and mid-stream
// (1) behind Sentinel, the primary SIGKILLed, a replica promoted, the old primary back as a
// replica; (2) on Redis Cluster, a slot holding a live partition migrated and a primary
// SIGKILLed, replaced by its replica, and restarted. Handled events are recorded in a Redis
// apart from the one under test. Every event the emulator delivered is handled (lost = 0);
// handled-twice and the POSTs answered 503 during the failover are printed.
// Labelled `topology`: the main stage only, one at a time (about 30 s each).
#include <chrono>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "cluster.hpp"
#include "fleet_support.hpp"
#include "handover/emulator/emulator.hpp"
#include "redis_support.hpp"

using namespace handover;
using namespace handover::redis::fleet;
namespace rt = handover::redis::test;

namespace {

// The emulator, the balancer and three servers; `topology` are the servers' Redis flags.
struct Fleet {
  std::string dir;
  rt::PrivateRedis recorder;  // where the servers count what they handled
  std::string prefix = rt::uniquePrefix("fleet-failover");
  Balancer balancer;
  std::unique_ptr<emulator::Emulator> emu;
  std::string graph_url;
  std::vector<std::string> extra;
  std::vector<std::unique_ptr<ServerProcess>> servers;

  explicit Fleet(const std::vector<std::string>& topology) {
    char tmp[] = "/tmp/handover-fleet-failover-XXXXXX";
    if (!::mkdtemp(tmp)) throw std::runtime_error("mkdtemp failed");
    dir = tmp;
    emu = std::make_unique<emulator::Emulator>(fleetEmulator(balancer.url(), {"messages"},
                                                             std::chrono::milliseconds(20),
                                                             std::chrono::milliseconds(300)));
    graph_url = "http://127.0.0.1:" + std::to_string(emu->start("127.0.0.1", 0).value());
    extra = {"--record-handled", "1",    "--record-port",    std::to_string(recorder.port()),
             "--lease-ms",       "1500", "--claim-lease-ms", "3000",
             "--wait-replicas",  "1"};
    extra.insert(extra.end(), topology.begin(), topology.end());
    for (const char* name : {"a", "b", "c"}) {
      // No take-backs: the quiet period outlasts the test. --redis-port is the recorder's,
      // unused for the queue and the store (the topology flags say where they are).
      servers.push_back(std::make_unique<ServerProcess>(dir, name, recorder.port(), prefix,
                                                        graph_url, "3600000", extra));
    }
    balancer.setBackends({servers[0]->port(), servers[1]->port(), servers[2]->port()});
  }
  ~Fleet() {
    for (auto& s : servers) s->stop(SIGTERM);
    rt::run("rm -rf '" + dir + "'");
  }

  // 2,000 events; `midstream(round)` runs after each round's messages are sent.
  std::set<std::string> deliver(const std::function<void(int)>& midstream) {
    std::set<std::string> expected;
    for (int round = 0; round < 25; ++round) {
      for (int i = 0; i < 80; ++i) {
        auto sent = emu->sendUserMessage(
            {kPage, "8200000000000" + std::to_string(100 + i), "m " + std::to_string(round), ""});
        REQUIRE(sent);
        expected.insert(std::string("message|") + kPage + "|" + sent->mid);
      }
      midstream(round);
      std::this_thread::sleep_for(std::chrono::milliseconds(40));  // deliveries go on meanwhile
    }
    REQUIRE(emu->waitForDeliveries(std::chrono::seconds(180)));
    return expected;
  }

  // Waits until every expected event was handled; prints and checks the counts.
  void checkHandled(const std::set<std::string>& expected, const char* what) {
    std::map<std::string, long> handled;
    const bool all = waitFor(
        [&] {
          handled = handledCounts(recorder.port(), prefix);
          std::size_t seen = 0;
          for (const auto& k : expected) seen += handled.count(k);
          return seen == expected.size();
        },
        std::chrono::seconds(90));
    std::size_t lost = 0, twice = 0;
    for (const auto& k : expected) lost += handled.count(k) == 0 ? 1 : 0;
    for (const auto& [key, n] : handled) twice += n > 1 ? static_cast<std::size_t>(n - 1) : 0;
    std::cout << what << ": delivered " << expected.size() << " events (" << balancer.resent()
              << " re-sent by the balancer, " << balancer.refused()
              << " POSTs answered non-2xx during the failover and redelivered), lost " << lost
              << ", handled twice " << twice << std::endl;
    CHECK(all);
    CHECK(lost == 0);
    // An event can be handled again when a failover takes its completed claim before a
    // replica had it, or a server's claim lapses: at most one per worker of the fleet.
    CHECK(twice <= 6);
  }
};

}  // namespace

TEST_CASE("fleet on Sentinel: the primary SIGKILLed mid-stream, a replica promoted, lost = 0") {
  rt::PrivateRedis primary;
  std::vector<std::unique_ptr<rt::PrivateRedis>> replicas;
  for (int i = 0; i < 2; ++i) {
    replicas.push_back(std::make_unique<rt::PrivateRedis>("--replicaof 127.0.0.1 " +
                                                          std::to_string(primary.port())));
  }
  for (const auto& r : replicas) {
    REQUIRE(waitFor([&] { return r->info("replication", "master_link_status") == "up"; },
                    std::chrono::seconds(20)));
  }
  const std::string service = "fleet";
  std::vector<std::unique_ptr<rt::PrivateSentinel>> sentinels;
  std::string list;
  for (int i = 0; i < 3; ++i) {
    sentinels.push_back(std::make_unique<rt::PrivateSentinel>(service, primary.port(), 2));
    list += (list.empty() ? "" : ",") + std::string("127.0.0.1:") +
            std::to_string(sentinels.back()->port());
  }
  Fleet fleet({"--sentinels", list, "--sentinel-service", service});
  const int old_port = primary.port();
  const auto expected = fleet.deliver([&](int round) {
    if (round == 8) primary.kill();
    if (round == 16) {
      // Once a replica is promoted, the old primary comes back; the Sentinels make it a
      // replica of the new one.
      REQUIRE(waitFor(
          [&] {
            const int now = sentinels[0]->primaryPort(service);
            return now != 0 && now != old_port;
          },
          std::chrono::seconds(30)));
      primary.start();
    }
  });
  fleet.checkHandled(expected, "fleet on Sentinel through a failover");
  // The Sentinels turn the old primary into a replica of the new one once they see it back.
  CHECK(waitFor([&] { return primary.info("replication", "role") == "slave"; },
                std::chrono::seconds(30)));
}

TEST_CASE("fleet on Redis Cluster: a live slot migrated and a primary SIGKILLed, lost = 0") {
  rt::PrivateCluster cluster;
  const std::string nodes = "127.0.0.1:" + std::to_string(cluster.node(0).port()) +
                            ",127.0.0.1:" + std::to_string(cluster.node(1).port());
  Fleet fleet({"--cluster-nodes", nodes});
  // Partition 0 of the queue: its slot moves at round 6, and its primary is killed at 12.
  const int slot = redis::detail::keySlot(fleet.prefix + "{webhook:0}");
  rt::PrivateRedis* killed = nullptr;
  const auto expected = fleet.deliver([&](int round) {
    const int any =
        cluster.node(0).cli("ping") == 0 ? cluster.node(0).port() : cluster.node(1).port();
    if (round == 6) cluster.migrateSlot(slot, cluster.otherPrimary(cluster.primaryOf(slot, any)));
    if (round == 12) {
      const int victim = cluster.primaryOf(slot, any);
      for (std::size_t i = 0; i < cluster.size(); ++i) {
        if (cluster.node(i).port() == victim) killed = &cluster.node(i);
      }
      REQUIRE(killed != nullptr);
      killed->kill();
    }
    if (round == 20 && killed != nullptr) {
      // Once its replica is promoted, the killed node comes back as the new primary's replica
      // (with one replica each, WAIT 1 needs it back).
      const int victim = killed->port();
      REQUIRE(waitFor(
          [&] {
            const int now =
                cluster.primaryOf(slot, any == victim ? cluster.otherPrimary(victim) : any);
            return now != 0 && now != victim;
          },
          std::chrono::seconds(30)));
      killed->start();
    }
  });
  fleet.checkHandled(expected, "fleet on Redis Cluster through a migration and a failover");
}
