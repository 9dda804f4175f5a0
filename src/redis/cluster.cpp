#include "cluster.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>
#include <utility>

HANDOVER_BEGIN_NAMESPACE
namespace redis::detail {

namespace {

// CRC16-CCITT (XMODEM: polynomial 0x1021, initial 0), as the Cluster specification defines the
// key slot. Not a secret's hash: a spread, specified to the bit.
std::uint16_t crc16(std::string_view bytes) {
  std::uint16_t crc = 0;
  for (unsigned char c : bytes) {
    crc = static_cast<std::uint16_t>(crc ^ (static_cast<std::uint16_t>(c) << 8));
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) != 0 ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021)
                                : static_cast<std::uint16_t>(crc << 1);
    }
  }
  return crc;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string errorText(const redisReply* r) {
  return r != nullptr && r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : "";
}

// "MOVED 3999 127.0.0.1:6381" → the address; nullopt when it is not one.
std::optional<RedisAddress> redirectTarget(const std::string& error) {
  const auto space = error.rfind(' ');
  const auto colon = error.rfind(':');
  if (space == std::string::npos || colon == std::string::npos || colon < space) {
    return std::nullopt;
  }
  try {
    return RedisAddress{error.substr(space + 1, colon - space - 1),
                        std::stoi(error.substr(colon + 1))};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

bool startsWith(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

}  // namespace

std::uint16_t keySlot(std::string_view key) {
  // A hash tag: the part between the first '{' and the next '}', when not empty.
  const auto open = key.find('{');
  if (open != std::string_view::npos) {
    const auto close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  return static_cast<std::uint16_t>(crc16(key) % 16384);
}

std::string_view routeKey(const std::vector<std::string>& args) {
  if (args.size() < 2) return {};
  const std::string cmd = upper(args[0]);
  if (cmd == "EVAL" || cmd == "EVALSHA") {
    return args.size() > 3 && args[2] != "0" ? std::string_view(args[3]) : std::string_view();
  }
  if (cmd == "XREADGROUP") {
    const auto streams = std::find_if(args.begin(), args.end(),
                                      [](const std::string& a) { return upper(a) == "STREAMS"; });
    return streams != args.end() && streams + 1 != args.end() ? std::string_view(*(streams + 1))
                                                              : std::string_view();
  }
  if (cmd == "XGROUP") return args.size() > 2 ? std::string_view(args[2]) : std::string_view();
  if (cmd == "WAIT" || cmd == "INFO" || cmd == "CONFIG" || cmd == "PING" || cmd == "ROLE") {
    return {};
  }
  return args[1];
}

Cluster::Cluster(RedisOptions options) : o_(std::move(options)) {
  slots_.fill(-1);
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& seed : o_.cluster_nodes) nodeAt(seed);
}

std::size_t Cluster::nodeAt(const RedisAddress& address) {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i]->address.host == address.host && nodes_[i]->address.port == address.port) {
      return i;
    }
  }
  auto node = std::make_unique<Node>();
  node->address = address;
  const std::size_t n = o_.connections > 0 ? o_.connections : 1;
  for (std::size_t i = 0; i < n; ++i) node->connections.push_back(std::make_unique<Connection>());
  nodes_.push_back(std::move(node));
  return nodes_.size() - 1;
}

// CLUSTER SLOTS from the first node that answers: [[start, end, [host, port, id], replicas...]].
Result<void> Cluster::refresh() {
  std::vector<RedisAddress> known;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& n : nodes_) known.push_back(n->address);
  }
  std::string why;
  for (const auto& at : known) {
    Connection probe;
    if (auto ok = probe.ensureAt(o_, at); !ok) {
      why += "; " + ok.error().message;
      continue;
    }
    auto r = probe.raw({"CLUSTER", "SLOTS"});
    if (!r || (*r)->type != REDIS_REPLY_ARRAY) {
      why += "; " + (r ? std::string("no slot map from ") + probe.where : r.error().message);
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    slots_.fill(-1);
    const redisReply* ranges = r->get();
    for (std::size_t i = 0; i < ranges->elements; ++i) {
      const redisReply* range = ranges->element[i];
      if (range->type != REDIS_REPLY_ARRAY || range->elements < 3) continue;
      const redisReply* primary = range->element[2];
      if (primary->type != REDIS_REPLY_ARRAY || primary->elements < 2) continue;
      const std::string host = str(primary->element[0]);
      const auto node = static_cast<int>(
          nodeAt({host.empty() ? at.host : host, static_cast<int>(primary->element[1]->integer)}));
      for (long long s = range->element[0]->integer; s <= range->element[1]->integer; ++s) {
        if (s >= 0 && s < static_cast<long long>(kSlots))
          slots_[static_cast<std::size_t>(s)] = node;
      }
    }
    stale_ = false;
    return {};
  }
  return storeError("redis cluster: no node gave its slot map" + why);
}

Result<std::size_t> Cluster::nodeFor(std::uint16_t slot) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stale_ && slots_[slot] >= 0) return static_cast<std::size_t>(slots_[slot]);
  }
  if (auto r = refresh(); !r) return std::move(r).error();
  std::lock_guard<std::mutex> lock(mu_);
  if (slots_[slot] < 0) {
    return storeError("redis cluster: no node serves slot " + std::to_string(slot) +
                      " (CLUSTERDOWN?)");
  }
  return static_cast<std::size_t>(slots_[slot]);
}

Result<std::vector<Reply>> Cluster::sendTo(std::size_t node,
                                           const std::vector<std::vector<std::string>>& commands,
                                           bool asking) {
  Node* n = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    n = nodes_[node].get();
  }
  // A free connection of the node if one is, else the next one in turn.
  const std::size_t count = n->connections.size();
  const std::size_t start = n->next++ % count;
  Connection* c = nullptr;
  std::unique_lock<std::mutex> held;
  for (std::size_t i = 0; i < count && !c; ++i) {
    Connection* candidate = n->connections[(start + i) % count].get();
    std::unique_lock<std::mutex> attempt(candidate->mu, std::try_to_lock);
    if (attempt.owns_lock()) {
      c = candidate;
      held = std::move(attempt);
    }
  }
  if (!c) {
    c = n->connections[start].get();
    held = std::unique_lock<std::mutex>(c->mu);
  }
  if (auto ok = c->ensureAt(o_, n->address); !ok) {
    std::lock_guard<std::mutex> lock(mu_);
    stale_ = true;  // a node gone: the next call asks for the map again
    return std::move(ok).error();
  }
  if (!asking) {
    auto r = c->pipelineEach(commands);
    if (!r) {
      std::lock_guard<std::mutex> lock(mu_);
      stale_ = true;
    }
    return r;
  }
  std::vector<std::vector<std::string>> with_asking;
  for (const auto& cmd : commands) {
    with_asking.push_back({"ASKING"});
    with_asking.push_back(cmd);
  }
  auto r = c->pipelineEach(with_asking);
  if (!r) return std::move(r).error();
  std::vector<Reply> out;
  for (std::size_t i = 1; i < r->size(); i += 2) out.push_back(std::move((*r)[i]));
  return out;
}

std::vector<std::string> Cluster::waitCommand() const {
  return {"WAIT", std::to_string(o_.wait_replicas), std::to_string(o_.wait_timeout.count())};
}

Result<Reply> Cluster::settle(const std::vector<std::string>& command, Reply first,
                              long long* replicas) {
  Reply reply = std::move(first);
  auto backoff = std::chrono::milliseconds(20);
  const auto give_up =
      std::chrono::steady_clock::now() + std::max(o_.command_timeout, 2 * o_.connect_timeout);
  for (int attempt = 0; attempt < 32; ++attempt) {
    const std::string error = errorText(reply.get());
    std::optional<std::size_t> node;
    bool asking = false;
    if (startsWith(error, "MOVED ") || startsWith(error, "ASK ")) {
      const auto target = redirectTarget(error);
      if (!target) return reply;
      asking = startsWith(error, "ASK ");
      std::lock_guard<std::mutex> lock(mu_);
      node = nodeAt(*target);
      if (!asking) {
        // The slot moved for good: correct it now, and fetch the whole map again next time.
        slots_[keySlot(routeKey(command))] = static_cast<int>(*node);
        stale_ = true;
      }
    } else if (startsWith(error, "TRYAGAIN") || startsWith(error, "CLUSTERDOWN")) {
      if (std::chrono::steady_clock::now() >= give_up) return reply;
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(500));
      std::lock_guard<std::mutex> lock(mu_);
      stale_ = true;
    } else {
      return reply;  // an answer, or an error that is the command's own
    }
    if (!node) {
      auto found = nodeFor(keySlot(routeKey(command)));
      if (!found) return std::move(found).error();
      node = *found;
    }
    std::vector<std::vector<std::string>> again{command};
    if (replicas != nullptr) again.push_back(waitCommand());  // on the connection written to
    auto got = sendTo(*node, again, asking);
    if (!got) return std::move(got).error();
    if (replicas != nullptr) {
      const redisReply* w = got->back().get();
      *replicas = std::min(*replicas, w->type == REDIS_REPLY_INTEGER ? w->integer : 0LL);
    }
    reply = std::move(got->front());
  }
  return reply;
}

Result<std::vector<std::pair<std::string, Reply>>> Cluster::atEveryPrimary(
    const std::vector<std::string>& args) {
  if (auto r = refresh(); !r) return std::move(r).error();
  std::vector<std::size_t> primaries;
  std::vector<std::string> addresses;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int node : slots_) {
      if (node < 0 || std::find(primaries.begin(), primaries.end(), node) != primaries.end()) {
        continue;
      }
      primaries.push_back(static_cast<std::size_t>(node));
      const RedisAddress& a = nodes_[static_cast<std::size_t>(node)]->address;
      addresses.push_back(a.host + ":" + std::to_string(a.port));
    }
  }
  std::vector<std::pair<std::string, Reply>> out;
  for (std::size_t i = 0; i < primaries.size(); ++i) {
    auto r = sendTo(primaries[i], {args});
    if (!r) return std::move(r).error();
    out.emplace_back(addresses[i], std::move(r->front()));
  }
  return out;
}

Result<std::vector<Reply>> Cluster::pipelineEach(
    const std::vector<std::vector<std::string>>& commands) {
  return send(commands, nullptr);
}

Result<Written> Cluster::write(const std::vector<std::vector<std::string>>& commands) {
  Written w;
  if (o_.wait_replicas <= 0) {
    auto replies = send(commands, nullptr);
    if (!replies) return std::move(replies).error();
    w.replies = std::move(*replies);
    return w;
  }
  long long replicas = o_.wait_replicas;
  auto replies = send(commands, &replicas);
  if (!replies) return std::move(replies).error();
  w.replies = std::move(*replies);
  w.replicas = replicas;
  w.replicated = replicas >= o_.wait_replicas;
  return w;
}

// Commands grouped by the node serving their slot, one round trip per node, each node's share
// followed by WAIT on the same connection when `replicas` is given (the fewest is kept there);
// then each redirected command sent where the redirect says.
Result<std::vector<Reply>> Cluster::send(const std::vector<std::vector<std::string>>& commands,
                                         long long* replicas) {
  std::map<std::size_t, std::vector<std::size_t>> by_node;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    const std::string_view key = routeKey(commands[i]);
    auto node = nodeFor(key.empty() ? 0 : keySlot(key));
    if (!node) return std::move(node).error();
    by_node[*node].push_back(i);
  }
  std::vector<Reply> replies(commands.size());
  for (const auto& [node, indices] : by_node) {
    std::vector<std::vector<std::string>> share;
    for (std::size_t i : indices) share.push_back(commands[i]);
    if (replicas != nullptr) share.push_back(waitCommand());
    auto got = sendTo(node, share);
    if (!got) return std::move(got).error();
    if (replicas != nullptr) {
      const redisReply* w = got->back().get();
      *replicas = std::min(*replicas, w->type == REDIS_REPLY_INTEGER ? w->integer : 0LL);
    }
    for (std::size_t k = 0; k < indices.size(); ++k) replies[indices[k]] = std::move((*got)[k]);
  }
  for (std::size_t i = 0; i < commands.size(); ++i) {
    if (errorText(replies[i].get()).empty()) continue;
    auto settled = settle(commands[i], std::move(replies[i]), replicas);
    if (!settled) return std::move(settled).error();
    replies[i] = std::move(*settled);
  }
  return replies;
}

}  // namespace redis::detail
HANDOVER_END_NAMESPACE
