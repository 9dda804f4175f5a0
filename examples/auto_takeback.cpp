// Auto take-back: the bot answers users, pauses while a human agent in the Page Inbox is
// active, and takes the thread back once the agent has been quiet for a while. The tracker
// keeps who owns each conversation and when the human last wrote; its timers live in the store,
// so a restarted bot still takes back what came due while it was down.
//
//   auto_takeback                      the story, end to end, against an in-process emulator
//   auto_takeback --quiet-seconds 2    the same with another quiet period (default 3)
//   auto_takeback --serve --graph-url URL --port N --secret S --token T --app-id ID
//                                      only the bot's webhook server, against any Graph API
//                                      (the `handover emulator` command or the real one)
//
// Several servers behind a load balancer: replace MemoryStore with redis::RedisStore
// (target handover::redis) and they share ownership, timers and de-duplication; give the
// endpoint a redis::RedisStreamQueue and a killed server loses no queued event.

#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "handover/client/client.hpp"
#include "handover/emulator/emulator.hpp"
#include "handover/endpoint/endpoint.hpp"
#include "handover/endpoint/httplib_adapter.hpp"
#include "handover/tracker/dedup.hpp"
#include "handover/tracker/memory_store.hpp"
#include "handover/tracker/thread_tracker.hpp"
#include "handover/webhook/router.hpp"

namespace {

using namespace handover;

std::mutex g_out;
void say(const std::string& line) {
  std::lock_guard<std::mutex> lock(g_out);
  std::cout << line << std::endl;
}

struct BotConfig {
  std::string graph_url, secret, token, app_id;
  std::chrono::seconds quiet{3};
};

// The bot's webhook server: signature, de-duplication, tracker, router; a poller thread runs
// the tracker's due take-backs.
class Bot {
 public:
  explicit Bot(const BotConfig& cfg) : cfg_(cfg) {
    ClientOptions co;
    co.base_url = cfg.graph_url;
    co.access_token = cfg.token;
    co.app_secret = cfg.secret;
    co.app_id = cfg.app_id;
    client_ = std::make_unique<Client>(co);

    auto store = std::make_shared<tracker::MemoryStore>();
    tracker::TrackerOptions to;
    const auto quiet = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.quiet);
    to.policies.idle_take_back =
        tracker::IdleTakeBack{tracker::IdleTakeBack::Action::kTake, quiet, "", "agent went quiet"};
    to.policies.pause_while_human_active = tracker::PauseWhileHumanActive{quiet};
    to.on_action = [this](const tracker::ActionOutcome& o) {
      if (o.ok()) {
        ++take_backs_;
        say("bot: the agent was quiet for " + std::to_string(cfg_.quiet.count()) + " s, took " +
            o.key.user_id + " back");
      } else {
        say(std::string("bot: ") + tracker::toString(o.action) + " failed: " + o.error->toString() +
            (o.will_retry ? " (will retry)" : ""));
      }
    };
    tracker_ = std::make_shared<tracker::ThreadTracker>(store, *client_, to);
    auto dedup = std::make_shared<tracker::Deduplicator>(store);

    webhook::Router router;
    router.onMessage(
        [this](webhook::Context& ctx, const webhook::Message& m) -> Result<void> {
          const tracker::ConversationKey key{ctx.pageId(), ctx.userId()};
          if (ctx.isStandby()) {
            say("bot: \"" + m.text +
                "\" arrived on standby: the inbox has the thread, staying quiet");
            return {};
          }
          auto reply = tracker_->autoReply(key);
          if (!reply) return std::move(reply).error();
          if (*reply != tracker::AutoReply::kReply) {
            say("bot: a human was active moments ago, not answering \"" + m.text + "\"");
            return {};
          }
          ++replies_;
          auto sent = ctx.sendText("bot: you said \"" + m.text + "\"");
          if (!sent) return std::move(sent).error();
          say("bot: answered \"" + m.text + "\"");
          return {};
        },
        webhook::Source::kAny);
    router.onEcho(
        [](webhook::Context& ctx, const webhook::Echo& e) {
          if (!ctx.isOwnEcho()) say("bot: a human (app " + e.app_id.value_or("?") + ") replied");
        },
        webhook::Source::kAny);
    router.onFailure(
        [](const webhook::DispatchFailure& f) { say("bot: handler failed: " + f.message); });

    // The endpoint de-duplicates, feeds the tracker and runs the router on its workers; this
    // class keeps only the bot's logic and the take-back poller.
    webhook::EndpointOptions eo;
    eo.app_secret = cfg.secret;
    eo.verify_token = "auto-takeback";
    eo.on_event = [](const webhook::EndpointEvent& e) {
      if (e.kind != webhook::EndpointEventKind::kHandlerFailed) say("bot: " + e.message);
    };
    endpoint_ = std::make_unique<webhook::Endpoint>(eo, std::move(router), *client_,
                                                    std::move(dedup), tracker_);
    webhook::mountEndpoint(server_, "/webhook", *endpoint_);
  }

  int start(int port) {
    port_ = port == 0 ? server_.bind_to_any_port("127.0.0.1")
                      : (server_.bind_to_port("127.0.0.1", port) ? port : -1);
    if (port_ <= 0) return -1;
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // httplib's stop() does nothing before the loop runs: wait for it so stop() cannot hang.
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    poller_ = std::thread([this] {
      while (!stop_) {
        auto r = tracker_->poll();  // claims due take-backs in the store, performs them
        if (!r) say("bot: store failure: " + r.error().toString());
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
    return port_;
  }
  void stop() {
    stop_ = true;
    server_.stop();
    if (thread_.joinable()) thread_.join();
    if (poller_.joinable()) poller_.join();
    endpoint_->stop();
  }
  ~Bot() { stop(); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/webhook"; }
  int replies() const { return replies_; }
  int takeBacks() const { return take_backs_; }
  // The bot's own record says it owns the conversation again (set just after the take-back's
  // call returns, so it can lag what the Graph API already shows).
  bool recordsOwnership(const std::string& page, const std::string& user) const {
    auto s = tracker_->state({page, user});
    return s && *s && (*s)->owner.isApp(cfg_.app_id);
  }

 private:
  BotConfig cfg_;
  std::unique_ptr<Client> client_;
  std::shared_ptr<tracker::ThreadTracker> tracker_;
  httplib::Server server_;
  std::unique_ptr<webhook::Endpoint> endpoint_;  // after what its handlers use: stopped first
  std::thread thread_, poller_;
  std::atomic<bool> stop_{false};
  std::atomic<int> replies_{0}, take_backs_{0};
  int port_ = 0;
};

// A port nobody listens on right now (the emulator binds it a moment later).
int freeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

bool waitFor(const std::function<bool()>& done, std::chrono::seconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// The story against an in-process emulator (Conversation Routing, the bot is the default app).
int demo(std::chrono::seconds quiet) {
  const std::string page = "1001", user = "6543210987654321", bot_id = "2001";
  BotConfig cfg;
  cfg.secret = "bot-secret";
  cfg.token = "bot-token";
  cfg.app_id = bot_id;
  cfg.quiet = quiet;

  emulator::Config ec;
  ec.pages.push_back({page, "Shop", Platform::kMessenger, emulator::Era::kRouting, bot_id});
  emulator::AppConfig app;
  app.id = bot_id;
  app.name = "Bot";
  app.page_access_token = cfg.token;
  app.app_secret = cfg.secret;
  app.subscribed_fields = {"messages", "standby", "messaging_handovers", "message_echoes"};
  // The bot needs the emulator's URL and the emulator the bot's: the emulator's port is
  // picked first, then the bot starts, then the emulator with the bot's URL.
  const int graph_port = freeLoopbackPort();
  if (graph_port <= 0) return 1;
  cfg.graph_url = "http://127.0.0.1:" + std::to_string(graph_port);
  Bot bot(cfg);
  if (bot.start(0) <= 0) return 1;
  app.webhook_url = bot.url();
  ec.apps.push_back(app);
  emulator::Emulator emu(std::move(ec));
  auto started = emu.start("127.0.0.1", graph_port);
  if (!started) {
    std::cerr << "emulator: " << started.error().toString() << "\n";
    return 1;
  }
  auto owner = [&] { return emu.threadState(page, user).value().owner_app_id; };
  auto settle = [&] { return emu.waitForDeliveries(std::chrono::seconds(10)); };

  say("user: hi, where is my parcel?");
  (void)emu.sendUserMessage({page, user, "where is my parcel?", ""});
  bool ok = settle() && waitFor([&] { return bot.replies() == 1; }, std::chrono::seconds(5));

  say("agent (Page Inbox): let me check that for you");
  (void)emu.inboxReply(page, user, "let me check that for you");
  ok = ok && settle();
  say("owner now: " + owner() + " (the Page Inbox)");

  say("user: thanks!");
  (void)emu.sendUserMessage({page, user, "thanks!", ""});
  ok = ok && settle() && bot.replies() == 1;  // paused: the human has the thread

  say("... the agent stays quiet for " + std::to_string(quiet.count()) + " s ...");
  // Both the platform and the bot's tracker: the user's next message must meet a bot that
  // knows it has the thread back (on a loaded machine the two differ for a moment).
  ok = ok && waitFor([&] { return owner() == bot_id && bot.recordsOwnership(page, user); },
                     quiet + std::chrono::seconds(10));
  say("owner now: " + owner() + " (the bot)");

  say("user: are you still there?");
  (void)emu.sendUserMessage({page, user, "are you still there?", ""});
  ok = ok && settle() && waitFor([&] { return bot.replies() == 2; }, std::chrono::seconds(5));
  ok = ok && bot.takeBacks() == 1;

  bot.stop();
  emu.stop();
  say(ok ? "auto_takeback: OK" : "auto_takeback: the story did not go as expected");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> args;
  bool serve = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << "usage: auto_takeback [--quiet-seconds N]\n"
                   "       auto_takeback --serve --graph-url URL --port N --secret S --token T"
                   " --app-id ID [--quiet-seconds N]\n"
                   "The bot answers users, pauses while a human in the Page Inbox is active, and\n"
                   "takes the thread back after N quiet seconds (default 3). Without --serve it\n"
                   "plays that story against an in-process emulator and exits 0 when it went as\n"
                   "the protocol says; with --serve it runs only the bot's webhook server.\n";
      return 0;
    }
    if (a == "--serve") {
      serve = true;
    } else if (i + 1 < argc) {
      args[a] = argv[++i];
    } else {
      std::cerr << "missing value for " << a << " (see --help)\n";
      return 2;
    }
  }
  std::chrono::seconds quiet{3};
  try {
    if (args.count("--quiet-seconds"))
      quiet = std::chrono::seconds(std::stol(args["--quiet-seconds"]));
  } catch (const std::exception&) {
    std::cerr << "bad --quiet-seconds\n";
    return 2;
  }
  if (!serve) return demo(quiet);

  BotConfig cfg;
  cfg.graph_url = args.count("--graph-url") ? args["--graph-url"] : "https://graph.facebook.com";
  cfg.secret = args["--secret"];
  cfg.token = args["--token"];
  cfg.app_id = args["--app-id"];
  cfg.quiet = quiet;
  if (cfg.secret.empty() || cfg.token.empty() || cfg.app_id.empty()) {
    std::cerr << "--serve needs --secret, --token and --app-id\n";
    return 2;
  }
  Bot bot(cfg);
  const int port = bot.start(args.count("--port") ? std::stoi(args["--port"]) : 8080);
  if (port <= 0) {
    std::cerr << "cannot bind\n";
    return 1;
  }
  say("listening on " + bot.url());
  for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
}
