#pragma once
// The deterministic webhook corpus: one body per line, from a fixed seed. The mix (weights per
// event kind, out of 100):
//   text message 26, attachment message 9, quick reply 8, echo with app_id/metadata 12,
//   read 8, delivery 8, postback 7, pass 8, take 5, request 4, app_roles 2, unknown kind 3.
// A body holds 1-3 entries of 1-6 events; 15% of entries are `standby` ones (another app owns
// the thread). A fifth of texts carry non-ASCII (UTF-8 and \u escapes, a surrogate pair) and
// escaped quotes, slashes and newlines; a few texts are long. Bodies range from about 200 B to
// 10 KB (events stop being added past 10 KB). mt19937_64 and plain modulo keep it identical on
// every standard library.

#include <cstdint>
#include <random>
#include <string>
#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace bench {

class CorpusGenerator {
 public:
  explicit CorpusGenerator(std::uint64_t seed) : rng_(seed) {}

  /// Bodies joined by '\n' until at least `bytes` bytes.
  std::string generate(std::size_t bytes) {
    std::string out;
    out.reserve(bytes + 16 * 1024);
    while (out.size() < bytes) {
      out += body();
      out += '\n';
    }
    return out;
  }

  std::string body() {
    std::string b = R"({"object":"page","entry":[)";
    const int entries = 1 + pick(3);
    for (int e = 0; e < entries && b.size() < kMaxBody; ++e) {
      if (e > 0) b += ',';
      const std::string page = id(106500000000000ULL);
      const bool standby = pick(100) < 15;
      b += R"({"id":")" + page + R"(","time":)" + std::to_string(time_ += 1 + pick(50)) +
           (standby ? R"(,"standby":[)" : R"(,"messaging":[)");
      const int events = 1 + pick(6);
      for (int i = 0; i < events && b.size() < kMaxBody; ++i) {
        if (i > 0) b += ',';
        b += event(page);
      }
      b += "]}";
    }
    b += "]}";
    return b;
  }

 private:
  static constexpr std::size_t kMaxBody = 10 * 1024;

  int pick(int n) { return static_cast<int>(rng_() % static_cast<std::uint64_t>(n)); }

  std::string id(std::uint64_t base) { return std::to_string(base + rng_() % 100000000ULL); }

  std::string text() {
    static const char* const kWords[] = {"hello",    "order",  "refund",  "agent",   "please",
                                         "shipping", "thanks", "where",   "is",      "my",
                                         "package",  "help",   "billing", "account", "today"};
    std::string t;
    const int words = pick(100) < 5 ? 100 + pick(250) : 2 + pick(20);
    for (int i = 0; i < words; ++i) {
      if (i > 0) t += ' ';
      t += kWords[pick(15)];
    }
    if (pick(100) < 20) {
      switch (pick(4)) {
        case 0:
          t += " caf\xc3\xa9 \xe2\x82\xac 12 \xf0\x9f\x98\x80";
          break;
        case 1:
          t += R"( \u00e9\u4e2d\u6587 \ud83d\ude00)";
          break;
        case 2:
          t += R"( \"quoted\" back\\slash\nnew line\ttab)";
          break;
        default:
          t += " \xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 https:\\/\\/example.com\\/x";
          break;
      }
    }
    return t;
  }

  std::string head(const std::string& from, const std::string& to) {
    return R"({"sender":{"id":")" + from + R"("},"recipient":{"id":")" + to + R"("},"timestamp":)" +
           std::to_string(time_ += pick(10)) + ",";
  }

  std::string mid() { return "m_" + id(1000000000000ULL) + "AbCdEfGhIj"; }

  std::string event(const std::string& page) {
    const std::string user = id(7000000000000000ULL);
    const std::string app = pick(2) ? "263902037430900" : "1517776481860111";
    int k = pick(100);
    auto take = [&k](int w) {
      k -= w;
      return k < 0;
    };
    if (take(26))
      return head(user, page) + R"("message":{"mid":")" + mid() + R"(","text":")" + text() +
             R"("}})";
    if (take(9)) {
      std::string a = head(user, page) + R"("message":{"mid":")" + mid() + R"(","attachments":[)";
      const int n = 1 + pick(3);
      for (int i = 0; i < n; ++i) {
        if (i > 0) a += ',';
        a +=
            pick(4)
                ? R"({"type":"image","payload":{"url":"https://scontent.example.net/v/t1.15752-9/)" +
                      id(1) + R"(_n.jpg?stp=dst-jpg&_nc_cat=1"}})"
                : R"({"type":"fallback","payload":null,"title":"link","url":"https://example.com/a"})";
      }
      return a + "]}}";
    }
    if (take(8)) {
      return head(user, page) + R"("message":{"mid":")" + mid() + R"(","text":")" + text() +
             R"(","quick_reply":{"payload":"QR_)" + std::to_string(pick(1000)) + R"("}}})";
    }
    if (take(12)) {
      return head(page, user) + R"("message":{"is_echo":true,"app_id":)" +
             (pick(2) ? app : "\"" + app + "\"") + R"(,"metadata":"bot:step)" +
             std::to_string(pick(50)) + R"(","mid":")" + mid() + R"(","text":")" + text() +
             R"("}})";
    }
    if (take(8)) return head(user, page) + R"("read":{"watermark":)" + std::to_string(time_) + "}}";
    if (take(8)) {
      return head(user, page) + R"("delivery":{"mids":[")" + mid() + R"(",")" + mid() +
             R"("],"watermark":)" + std::to_string(time_) + "}}";
    }
    if (take(7)) {
      return head(user, page) + R"("postback":{"mid":")" + mid() +
             R"(","title":"Talk to a human","payload":"HUMAN_)" + std::to_string(pick(9)) +
             R"(","referral":{"ref":"ad42","source":"ADS","type":"OPEN_THREAD"}}})";
    }
    if (take(8)) {
      return head(user, page) + R"("pass_thread_control":{"previous_owner_app_id":")" + app +
             R"(","new_owner_app_id":"263902037430900","metadata":"escalate:billing"}})";
    }
    if (take(5)) {
      return head(user, page) +
             R"("take_thread_control":{"previous_owner_app_id":263902037430900,"new_owner_app_id":")" +
             app + R"(","metadata":"agent idle"}})";
    }
    if (take(4)) {
      return head(user, page) + R"("request_thread_control":{"requested_owner_app_id":)" + app +
             R"(,"metadata":"customer asked"}})";
    }
    if (take(2)) {
      return R"({"recipient":{"id":")" + page + R"("},"timestamp":)" + std::to_string(time_) +
             R"(,"app_roles":{"1517776481860111":["primary_receiver"],"263902037430900":["secondary_receiver"]}})";
    }
    return head(user, page) + R"("reaction":{"mid":")" + mid() +
           R"(","action":"react","emoji":"\u2764"}})";
  }

  std::mt19937_64 rng_;
  std::int64_t time_ = 1763770000000;
};

}  // namespace bench
HANDOVER_END_NAMESPACE
