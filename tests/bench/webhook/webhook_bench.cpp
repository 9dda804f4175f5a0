// Webhook parsing and signature throughput, each figure next to a baseline measured in the same
// run over the same bytes. Prints `RESULT <name> <value> <unit>` lines (tests/bench/run.sh
// builds its table from them) and a human summary.
//
//   webhook_bench [--bytes N] [--runs R] [--corpus FILE] [--write-corpus FILE]
//   webhook_bench --variant NAME --bytes N   one pass of one variant (for callgrind); NAME is
//                                             load, sax_noop, sax_insitu, sax_default, dom,
//                                             dom_extract or typed
//
// Variants, all over the same bodies, all with the typed parser's RapidJSON flags (iterative,
// UTF-8 validation, numbers as strings), so only the work each does differs:
//   sax_noop     RapidJSON Reader with a handler that does nothing, reading the body as it is
//                (the baseline every ratio is against)
//   sax_insitu   the same no-op pass in situ (kParseInsituFlag) over a copy of the body, the
//                copy included: the mode the typed parser uses, shown for transparency
//   dom          rapidjson::Document parse
//   dom_extract  Document parse plus copying the fields a user keeps into owned strings
//   typed        handover::webhook::parse (in situ over its own copy of the body), the typed
//                Batch kept until the next body
//   sax_default  a no-op pass with RapidJSON's default flags (recursive, no UTF-8 validation):
//                the fastest way RapidJSON reads the bytes, the baseline of the 0.85x target

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <rapidjson/document.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <new>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "corpus.hpp"
#include "handover/webhook/parser.hpp"
#include "handover/webhook/signature.hpp"
#include "input_checks.hpp"

// --- a counting allocator: every operator new in the process is counted -----------------------
namespace {
std::atomic<std::uint64_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace {

using namespace handover;
using Clock = std::chrono::steady_clock;

constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag |
                            rapidjson::kParseNumbersAsStringsFlag;
constexpr std::uint64_t kSeed = 20261122;

std::vector<std::string_view> splitLines(const std::string& corpus) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < corpus.size()) {
    auto end = corpus.find('\n', start);
    if (end == std::string::npos) end = corpus.size();
    if (end > start) lines.emplace_back(corpus.data() + start, end - start);
    start = end + 1;
  }
  return lines;
}

// --- the variants -----------------------------------------------------------------------------

std::size_t saxNoop(std::string_view body) {
  rapidjson::MemoryStream is(body.data(), body.size());
  rapidjson::BaseReaderHandler<> handler;
  rapidjson::Reader reader;
  return reader.Parse<kFlags>(is, handler).IsError() ? 0 : 1;
}

// RapidJSON's fastest way through the same bytes: default flags (recursive, no UTF-8
// validation, numbers converted), a no-op handler. The target baseline of issue #10.
std::size_t saxDefault(std::string_view body) {
  rapidjson::MemoryStream is(body.data(), body.size());
  rapidjson::BaseReaderHandler<> handler;
  rapidjson::Reader reader;
  return reader.Parse<rapidjson::kParseDefaultFlags>(is, handler).IsError() ? 0 : 1;
}

// The typed parser's own floor: its input checks, its copy and its RapidJSON flags with a
// handler that does nothing. typed vs this is what building events costs.
std::size_t saxOursNoop(std::string_view body) {
  static std::vector<char> copy;
  if (webhook::detail::firstInvalidUtf8(body) || webhook::detail::firstLoneLowSurrogate(body)) {
    return 0;
  }
  copy.assign(body.begin(), body.end());
  copy.resize(copy.size() + 32, '\0');
  rapidjson::InsituStringStream is(copy.data());
  rapidjson::BaseReaderHandler<> handler;
  rapidjson::Reader reader;
  constexpr unsigned kOurs = rapidjson::kParseInsituFlag | rapidjson::kParseStopWhenDoneFlag |
                             rapidjson::kParseNumbersAsStringsFlag;
  return reader.Parse<kOurs>(is, handler).IsError() ? 0 : 1;
}

std::size_t saxInsitu(std::string_view body) {
  static std::vector<char> copy;  // reused, as the typed parser reuses its buffer
  copy.assign(body.begin(), body.end());
  copy.push_back('\0');
  rapidjson::InsituStringStream is(copy.data());
  rapidjson::BaseReaderHandler<> handler;
  rapidjson::Reader reader;
  return reader.Parse<kFlags | rapidjson::kParseInsituFlag>(is, handler).IsError() ? 0 : 1;
}

std::size_t domOnly(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse<kFlags>(body.data(), body.size());
  return doc.HasParseError() ? 0 : 1;
}

/// What the naive way keeps per event.
struct NaiveEvent {
  std::string page_id, sender, recipient, timestamp, kind, mid, text, app_id, metadata, payload;
};

std::string copyString(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::size_t domExtract(std::string_view body, std::vector<NaiveEvent>& out) {
  rapidjson::Document doc;
  doc.Parse<kFlags>(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return 0;
  out.clear();
  auto entries = doc.FindMember("entry");
  if (entries == doc.MemberEnd() || !entries->value.IsArray()) return 0;
  for (const auto& entry : entries->value.GetArray()) {
    for (const char* list : {"messaging", "standby"}) {
      auto items = entry.FindMember(list);
      if (items == entry.MemberEnd() || !items->value.IsArray()) continue;
      for (const auto& item : items->value.GetArray()) {
        NaiveEvent e;
        e.page_id = copyString(entry, "id");
        if (auto s = item.FindMember("sender"); s != item.MemberEnd() && s->value.IsObject()) {
          e.sender = copyString(s->value, "id");
        }
        if (auto r = item.FindMember("recipient"); r != item.MemberEnd() && r->value.IsObject()) {
          e.recipient = copyString(r->value, "id");
        }
        e.timestamp = copyString(item, "timestamp");  // numbers arrive as strings (same flags)
        for (const auto& m : item.GetObject()) {
          if (!m.value.IsObject()) continue;
          e.kind.assign(m.name.GetString(), m.name.GetStringLength());
          if (e.kind == "sender" || e.kind == "recipient") continue;
          e.mid = copyString(m.value, "mid");
          e.text = copyString(m.value, "text");
          e.app_id = copyString(m.value, "app_id");
          e.metadata = copyString(m.value, "metadata");
          e.payload = copyString(m.value, "payload");
        }
        out.push_back(std::move(e));
      }
    }
  }
  return out.size();
}

std::size_t typed(std::string_view body, Result<webhook::Batch>& keep) {
  keep = webhook::parse(body);
  return keep ? keep->events.size() : 0;
}

// --- "strings handed to the user": heap blocks the typed Batch owns ---------------------------

struct Owned {
  std::size_t blocks = 0;
  void add(const std::string& s) {
    if (s.capacity() > 15) ++blocks;  // libstdc++ keeps up to 15 chars inline
  }
  void add(const std::optional<std::string>& s) {
    if (s) add(*s);
  }
  template <typename T>
  void vec(const std::vector<T>& v) {
    if (v.capacity() > 0) ++blocks;
  }
  void add(const std::vector<webhook::Attachment>& v) {
    vec(v);
    for (const auto& a : v) {
      add(a.type);
      add(a.url);
      add(a.payload_json);
    }
  }
  void operator()(const webhook::Message& m) {
    add(m.mid), add(m.text), add(m.quick_reply_payload), add(m.reply_to_mid), add(m.attachments);
  }
  void operator()(const webhook::Echo& m) {
    add(m.mid), add(m.text), add(m.app_id), add(m.metadata), add(m.attachments);
  }
  void operator()(const webhook::Read& r) { add(r.mid); }
  void operator()(const webhook::Delivery& d) {
    vec(d.mids);
    for (const auto& m : d.mids) add(m);
  }
  void operator()(const webhook::Referral& r) {
    add(r.ref), add(r.source), add(r.type), add(r.ad_id), add(r.referer_uri);
  }
  void operator()(const webhook::Postback& p) {
    add(p.mid), add(p.title), add(p.payload);
    if (p.referral) (*this)(*p.referral);
  }
  void operator()(const webhook::Reaction& r) { add(r.mid), add(r.reaction), add(r.emoji); }
  void operator()(const webhook::Optin& o) {
    add(o.type), add(o.ref), add(o.user_ref), add(o.payload), add(o.title);
    add(o.notification_messages_token);
  }
  void operator()(const webhook::MessageEdit& m) { add(m.mid), add(m.text); }
  void operator()(const webhook::PassThreadControl& p) {
    add(p.previous_owner_app_id), add(p.new_owner_app_id), add(p.metadata);
  }
  void operator()(const webhook::TakeThreadControl& p) {
    add(p.previous_owner_app_id), add(p.new_owner_app_id), add(p.metadata);
  }
  void operator()(const webhook::RequestThreadControl& p) {
    add(p.requested_owner_app_id), add(p.metadata);
  }
  void operator()(const webhook::AppRoles& r) {
    vec(r.apps);
    for (const auto& a : r.apps) {
      add(a.app_id);
      vec(a.roles);
      for (const auto& s : a.roles) add(s);
    }
  }
  void handover(const webhook::WhatsAppHandover& h) {
    if (h.previous_owner_role) add(h.previous_owner_role->wire());
    if (h.new_owner_role) add(h.new_owner_role->wire());
    add(h.previous_owner_app_id), add(h.previous_owner_app_role), add(h.metadata), add(h.reason);
    add(h.conversation_context_json), add(h.raw_json);
  }
  void operator()(const webhook::ControlPassed& h) { handover(h); }
  void operator()(const webhook::ControlTaken& h) { handover(h); }
  void operator()(const webhook::WhatsAppMessage& m) {
    add(m.id), add(m.type), add(m.text), add(m.raw_json), add(m.conversation_context_json);
  }
  void operator()(const webhook::WhatsAppEcho& m) {
    add(m.id), add(m.type), add(m.text), add(m.raw_json);
  }
  void operator()(const webhook::WhatsAppStatus& m) { add(m.id), add(m.status), add(m.raw_json); }
  void operator()(const webhook::Unknown& u) { add(u.type), add(u.raw_json); }
  void batch(const webhook::Batch& b) {
    add(b.object);
    vec(b.events);
    vec(b.errors);
    vec(b.changes);
    for (const auto& e : b.events) {
      add(e.page_id), add(e.sender.id), add(e.sender.user_ref), add(e.recipient.id);
      add(e.recipient.user_ref);
      std::visit(*this, e.payload);
    }
  }
};

// --- timing -----------------------------------------------------------------------------------

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double spread(const std::vector<double>& v) {  // (max-min)/median, the run-to-run noise
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return (*hi - *lo) / median(v);
}

template <typename F>
double secondsFor(F&& f) {
  const auto t0 = Clock::now();
  f();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void result(const std::string& name, double value, const char* unit) {
  std::printf("RESULT %s %.6g %s\n", name.c_str(), value, unit);
}

std::string flag(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
}

std::string loadCorpus(const std::string& path, std::size_t bytes) {
  if (!path.empty()) {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      // Only the prefix asked for (plus the rest of its last line) is read: under callgrind
      // the load pass is subtracted, and reading all 50 MB made every run slow.
      std::string data;
      constexpr std::size_t kChunk = 1 << 16;
      std::vector<char> chunk(kChunk);
      while (in.read(chunk.data(), kChunk) || in.gcount() > 0) {
        data.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
        if (data.size() > bytes && data.find('\n', bytes) != std::string::npos) break;
      }
      // A prefix of whole lines when fewer bytes are asked for.
      if (bytes < data.size()) {
        const auto cut = data.find('\n', bytes);
        if (cut != std::string::npos) data.resize(cut + 1);
      }
      return data;
    }
  }
  return bench::CorpusGenerator(kSeed).generate(bytes);
}

// --- signature --------------------------------------------------------------------------------

// Our check (header found and decoded, HMAC, constant-time compare) against OpenSSL's one-shot
// HMAC() and a compare of the digests, at the corpus's median body size, 1 KiB and 64 KiB.
void signatureBench(int runs, std::size_t typical_size) {
  const std::string secret = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
  for (std::size_t size : {typical_size, std::size_t{1024}, std::size_t{64 * 1024}}) {
    std::string body(size, 'x');
    std::mt19937_64 rng(kSeed);
    for (auto& c : body) c = static_cast<char>('a' + rng() % 26);
    const HttpHeaders headers{{"X-Hub-Signature-256", webhook::signatureHeaderValue(body, secret)}};
    unsigned char expected[32];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(body.data()), body.size(), expected, &len);
    const std::size_t iterations = std::max<std::size_t>(200, (64u << 20) / size / 4);
    std::vector<double> ours, raw;
    std::size_t ok = 0;
    for (int r = 0; r < runs; ++r) {
      raw.push_back(secondsFor([&] {
        for (std::size_t i = 0; i < iterations; ++i) {
          unsigned char out[32];
          unsigned int n = 0;
          HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
               reinterpret_cast<const unsigned char*>(body.data()), body.size(), out, &n);
          ok += CRYPTO_memcmp(out, expected, 32) == 0;
        }
      }));
      ours.push_back(secondsFor([&] {
        for (std::size_t i = 0; i < iterations; ++i) {
          ok += webhook::checkSignature(body, headers, secret).ok();
        }
      }));
    }
    if (ok != 2 * iterations * static_cast<std::size_t>(runs)) {
      std::fprintf(stderr, "signature bench: a check failed\n");
      std::exit(1);
    }
    const double mb = static_cast<double>(size * iterations) / 1e6;
    const std::string tag = size == typical_size ? "typical" : size == 1024 ? "1k" : "64k";
    result("sig_" + tag + "_raw_mbps", mb / median(raw), "MB/s");
    result("sig_" + tag + "_ours_mbps", mb / median(ours), "MB/s");
    std::vector<double> per_run;
    for (std::size_t i = 0; i < raw.size(); ++i) per_run.push_back(raw[i] / ours[i]);
    result("sig_" + tag + "_ratio", median(per_run), "x");
    result("sig_" + tag + "_noise", std::max(spread(raw), spread(ours)), "frac");
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t bytes = std::stoull(flag(argc, argv, "--bytes", "50000000"));
  const int runs = std::max(1, std::stoi(flag(argc, argv, "--runs", "5")));
  const std::string corpus_path = flag(argc, argv, "--corpus", "");
  const std::string variant = flag(argc, argv, "--variant", "");
  const std::string write_path = flag(argc, argv, "--write-corpus", "");

  if (!write_path.empty()) {
    std::ofstream(write_path, std::ios::binary) << bench::CorpusGenerator(kSeed).generate(bytes);
    return 0;
  }

  const std::string corpus = loadCorpus(corpus_path, bytes);
  const auto bodies = splitLines(corpus);
  std::size_t body_bytes = 0;
  for (auto b : bodies) body_bytes += b.size();

  Result<webhook::Batch> keep = webhook::Batch{};
  std::vector<NaiveEvent> naive;
  naive.reserve(64);
  std::size_t sink = 0;
  const std::function<std::size_t(std::string_view)> variants[] = {
      saxNoop,
      domOnly,
      [&](std::string_view b) { return domExtract(b, naive); },
      [&](std::string_view b) { return typed(b, keep); },
      saxInsitu,
      saxDefault,
      saxOursNoop};
  const char* const names[] = {"sax_noop",   "dom",         "dom_extract",  "typed",
                               "sax_insitu", "sax_default", "sax_ours_noop"};
  constexpr std::size_t kVariants = 7;

  if (!variant.empty()) {  // one pass, for callgrind; "load" only builds the corpus
    for (std::size_t v = 0; v < kVariants; ++v) {
      if (variant == names[v]) {
        for (auto b : bodies) sink += variants[v](b);
      }
    }
    std::printf("bytes %zu bodies %zu sink %zu\n", body_bytes, bodies.size(), sink);
    return 0;
  }

  // Events, and the allocation count of the typed parse over the whole corpus.
  std::size_t events = 0, failures = 0;
  std::uint64_t owned_blocks = 0;
  const auto allocs_before = g_allocations.load();
  for (auto b : bodies) {
    auto r = webhook::parse(b);
    if (!r) {
      ++failures;
      continue;
    }
    events += r->events.size();
    failures += r->errors.size();
    Owned owned;
    owned.batch(*r);
    owned_blocks += owned.blocks;
  }
  const auto allocs = g_allocations.load() - allocs_before;
  if (failures != 0) {
    std::fprintf(stderr, "webhook bench: %zu bodies or events failed to parse\n", failures);
    return 1;
  }

  std::vector<std::vector<double>> seconds(kVariants);
  for (int r = 0; r < runs; ++r) {
    for (std::size_t v = 0; v < kVariants; ++v) {  // interleaved: noise hits every variant alike
      seconds[v].push_back(secondsFor([&] {
        for (auto b : bodies) sink += variants[v](b);
      }));
    }
  }

  // One typical body: the median-sized one, timed alone many times.
  std::vector<std::string_view> sorted(bodies.begin(), bodies.end());
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end(),
                   [](auto a, auto b) { return a.size() < b.size(); });
  const std::string_view typical = sorted[sorted.size() / 2];
  const int typical_iterations = 20000;
  std::vector<double> typical_ns, typical_sax_ns, typical_default_ns;
  for (int r = 0; r < runs; ++r) {
    typical_default_ns.push_back(secondsFor([&] {
                                   for (int i = 0; i < typical_iterations; ++i)
                                     sink += saxDefault(typical);
                                 }) *
                                 1e9 / typical_iterations);
    typical_sax_ns.push_back(secondsFor([&] {
                               for (int i = 0; i < typical_iterations; ++i)
                                 sink += saxNoop(typical);
                             }) *
                             1e9 / typical_iterations);
    typical_ns.push_back(secondsFor([&] {
                           for (int i = 0; i < typical_iterations; ++i)
                             sink += typed(typical, keep);
                         }) *
                         1e9 / typical_iterations);
  }

  const double mb = static_cast<double>(body_bytes) / 1e6;
  result("corpus_bytes", static_cast<double>(body_bytes), "B");
  result("corpus_bodies", static_cast<double>(bodies.size()), "bodies");
  result("corpus_events", static_cast<double>(events), "events");
  for (std::size_t v = 0; v < kVariants; ++v) {
    result(std::string(names[v]) + "_mbps", mb / median(seconds[v]), "MB/s");
    result(std::string(names[v]) + "_noise", spread(seconds[v]), "frac");
  }
  result("typed_events_per_s", static_cast<double>(events) / median(seconds[3]), "events/s");
  // Ratios run by run (the variants of one run are back to back), then the median: a shared
  // machine's load drifts between runs more than within one.
  const auto ratio = [&](std::size_t base, std::size_t v) {
    std::vector<double> r;
    for (std::size_t i = 0; i < seconds[v].size(); ++i)
      r.push_back(seconds[base][i] / seconds[v][i]);
    return median(r);
  };
  result("dom_vs_sax", ratio(0, 1), "x");
  result("dom_extract_vs_sax", ratio(0, 2), "x");
  result("sax_insitu_vs_sax", ratio(0, 4), "x");
  result("typed_vs_sax", ratio(0, 3), "x");
  result("typed_vs_dom_extract", ratio(2, 3), "x");
  result("sax_vs_sax_default", ratio(5, 0), "x");
  result("typed_vs_sax_default", ratio(5, 3), "x");
  result("sax_ours_noop_vs_sax_default", ratio(5, 6), "x");
  result("typed_vs_sax_ours_noop", ratio(6, 3), "x");
  result("typical_body_bytes", static_cast<double>(typical.size()), "B");
  result("typical_typed_ns", median(typical_ns), "ns");
  result("typical_sax_ns", median(typical_sax_ns), "ns");
  result("typical_sax_default_ns", median(typical_default_ns), "ns");
  result("allocs_per_event", static_cast<double>(allocs) / static_cast<double>(events), "allocs");
  result("owned_blocks_per_event", static_cast<double>(owned_blocks) / static_cast<double>(events),
         "allocs");
  result("extra_allocs_per_event",
         (static_cast<double>(allocs) - static_cast<double>(owned_blocks)) /
             static_cast<double>(events),
         "allocs");
  signatureBench(runs, typical.size());
  std::fprintf(stderr, "(sink %zu)\n", sink);
  return 0;
}
