// The end-to-end demo (README's main-job command): the emulator in-process, the bot and the
// live-agent app as two child processes talking real HTTP with real signatures on loopback.
// It walks Meta's handover guide, legacy Handover Protocol first, then Conversation Routing,
// then WhatsApp's, and after every step checks the true owner and who got `messaging` vs
// `standby`.
// Exit: 0 when every step is what the protocol says, 1 on any deviation, 2 on setup failure.
//
//   handover_demo [--verbose] [--bot PATH] [--agent PATH] [--step-timeout-ms N]

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "child_process.hpp"
#include "handover/emulator/emulator.hpp"
#include "timeline.hpp"

namespace {

using namespace handover;
using namespace handover::emulator;
using handover::webhook::EventKind;

const std::string kLegacyPage = "100000000000001";
const std::string kRoutingPage = "100000000000002";
const std::string kBot = "500000000000001";
const std::string kAgent = "500000000000002";
const std::string kInbox(kPageInboxAppId);
const std::string kUserLegacy = "7100000000000001";
const std::string kUserRouting = "7200000000000002";
const std::string kUserZeroConfig = "7300000000000003";
const std::string kNumber = "106540352242922";  // a WhatsApp Business number's phone_number_id
const std::string kWaba = "102290129340398";
const std::string kUserWhatsApp = "15550001111";

std::string who(const std::string& app_id) {
  if (app_id == kBot) return "bot";
  if (app_id == kAgent) return "agent";
  if (app_id == kInbox) return "Page Inbox";
  if (app_id.empty()) return "idle";
  return "app " + app_id;
}

// --- what a step must produce ---------------------------------------------------------------

struct HandoverExpect {
  std::string app;  // who receives it
  EventKind kind;
  std::string new_owner;  // pass/take: new owner; request: the requester
  bool operator<(const HandoverExpect& o) const {
    return std::tie(app, kind, new_owner) < std::tie(o.app, o.kind, o.new_owner);
  }
  bool operator==(const HandoverExpect& o) const { return !(*this < o) && !(o < *this); }
};

struct Expect {
  std::string owner;                   // "" = idle
  std::set<std::string> messaging;     // apps that get the step's event (by mid) as messaging
  std::set<std::string> standby;       // ... as standby
  std::set<HandoverExpect> handovers;  // exactly these pass/take/request events
  std::set<std::string> echoes_from;   // at least these apps (or the inbox) sent a message
  std::optional<std::int64_t> min_expiration_from_now;  // seconds
};

struct Step {
  std::string era;
  std::string page;
  std::string user;
  std::string title;
  std::string action_text;                               // what happens, as printed
  std::function<Result<std::string>(Emulator&)> action;  // the mid to follow, or ""
  Expect expect;
};

Step userSays(std::string era, std::string page, std::string user, std::string text,
              std::string title, Expect e) {
  Step s;
  s.era = std::move(era);
  s.page = page;
  s.user = user;
  s.title = std::move(title);
  s.action_text = "user writes \"" + text + "\"";
  s.action = [page, user, text](Emulator& emu) -> Result<std::string> {
    auto r = emu.sendUserMessage({page, user, text, ""});
    if (!r) return std::move(r).error();
    return r->mid;
  };
  s.expect = std::move(e);
  return s;
}

Step control(std::string era, std::string page, std::string user, std::string title,
             std::string action_text, std::function<Result<std::string>(Emulator&)> action,
             Expect e) {
  return Step{std::move(era),         std::move(page),   std::move(user), std::move(title),
              std::move(action_text), std::move(action), std::move(e)};
}

HandoverExpect pass(const std::string& to, const std::string& owner) {
  return {to, EventKind::kPassThreadControl, owner};
}
// WhatsApp handovers name roles, not apps: control_passed reaches the new owner,
// control_taken the previous one.
HandoverExpect passedTo(const std::string& app) {
  return {app, EventKind::kControlPassed, app};
}
HandoverExpect takenFrom(const std::string& app) {
  return {app, EventKind::kControlTaken, ""};
}

Step advance(std::string era, std::string page, std::string user, std::string title,
             std::chrono::hours by, Expect e) {
  return control(
      std::move(era), std::move(page), std::move(user), std::move(title),
      "clock: " + std::to_string(by.count()) + " hours pass",
      [by](Emulator& emu) -> Result<std::string> {
        if (auto r = emu.advanceClock(by); !r) return std::move(r).error();
        return std::string();
      },
      std::move(e));
}

std::vector<Step> story() {
  const std::string L = "legacy", R = "routing", Z = "zero-config";
  const auto& u1 = kUserLegacy;
  const auto& u2 = kUserRouting;
  const auto& u3 = kUserZeroConfig;
  std::vector<Step> s;
  // Legacy Handover Protocol: bot = Primary Receiver, agent = Secondary, Page Inbox = Secondary.
  s.push_back(userSays(L, kLegacyPage, u1, "hi, where is my order?", "the bot answers",
                       {kBot, {kBot}, {kAgent}, {}, {kBot}, {}}));
  s.push_back(userSays(L, kLegacyPage, u1, "can I talk to a human?", "bot passes to the agent app",
                       {kAgent, {kBot}, {kAgent}, {pass(kAgent, kAgent)}, {kBot, kAgent}, {}}));
  s.push_back(userSays(L, kLegacyPage, u1, "my parcel is two days late",
                       "agent owns; bot on standby", {kAgent, {kAgent}, {kBot}, {}, {kAgent}, {}}));
  s.push_back(userSays(L, kLegacyPage, u1, "thanks, that's all", "agent passes back to the Primary",
                       {kBot, {kAgent}, {kBot}, {pass(kBot, kBot)}, {kAgent, kBot}, {}}));
  s.push_back(userSays(L, kLegacyPage, u1, "urgent: I was charged twice",
                       "agent requests; bot grants",
                       {kAgent,
                        {kBot},
                        {kAgent},
                        {{kBot, EventKind::kRequestThreadControl, kAgent}, pass(kAgent, kAgent)},
                        {kAgent},
                        {}}));
  s.push_back(userSays(
      L, kLegacyPage, u1, "menu", "bot (Primary) takes control back",
      {kBot, {kAgent}, {kBot}, {{kAgent, EventKind::kTakeThreadControl, kBot}}, {kBot}, {}}));
  s.push_back(userSays(L, kLegacyPage, u1, "I need the shop staff", "bot passes to the Page Inbox",
                       {kInbox, {kBot}, {kAgent}, {}, {kBot}, {}}));
  s.push_back(control(L, kLegacyPage, u1, "a human answers from the Page Inbox",
                      "Page Inbox: a human replies \"Hello, this is Sam from the shop\"",
                      [u1](Emulator& emu) -> Result<std::string> {
                        auto r =
                            emu.inboxReply(kLegacyPage, u1, "Hello, this is Sam from the shop");
                        if (!r) return std::move(r).error();
                        return r->mid;
                      },
                      {kInbox, {}, {kBot, kAgent}, {}, {kInbox}, {}}));
  s.push_back(userSays(L, kLegacyPage, u1, "ok, thank you", "inbox owns; both apps on standby",
                       {kInbox, {}, {kBot, kAgent}, {}, {}, {}}));
  s.push_back(control(L, kLegacyPage, u1, "Done in the inbox: back to the Primary",
                      "Page Inbox: the human moves the thread to Done",
                      [u1](Emulator& emu) -> Result<std::string> {
                        auto r = emu.inboxMove(kLegacyPage, u1, InboxFolder::kDone);
                        if (!r) return std::move(r).error();
                        return std::string();
                      },
                      {kBot, {}, {}, {pass(kBot, kBot)}, {kBot}, {}}));

  // Conversation Routing: bot = default app; threads start idle.
  s.push_back(userSays(R, kRoutingPage, u2, "hello", "idle thread: default app answers",
                       {"", {kBot}, {kAgent}, {}, {kBot}, {}}));
  s.push_back(userSays(
      R, kRoutingPage, u2, "a human please", "bot passes; every app is told",
      {kAgent, {kBot}, {kAgent}, {pass(kAgent, kAgent), pass(kBot, kAgent)}, {kBot, kAgent}, {}}));
  s.push_back(userSays(R, kRoutingPage, u2, "can you call me back tomorrow?",
                       "agent extends control by 48 h",
                       {kAgent, {kAgent}, {kBot}, {}, {kAgent}, 47 * 3600}));
  s.push_back(control(R, kRoutingPage, u2, "the extension outlives 24 h", "clock: 25 hours pass",
                      [](Emulator& emu) -> Result<std::string> {
                        if (auto r = emu.advanceClock(std::chrono::hours(25)); !r) {
                          return std::move(r).error();
                        }
                        return std::string();
                      },
                      {kAgent, {}, {}, {}, {}, {}}));
  s.push_back(userSays(R, kRoutingPage, u2, "thanks, bye", "agent releases: thread is idle",
                       {"", {kAgent}, {kBot}, {}, {kAgent}, {}}));
  s.push_back(userSays(R, kRoutingPage, u2, "one more thing", "idle again: default app answers",
                       {"", {kBot}, {kAgent}, {}, {kBot}, {}}));
  s.push_back(
      userSays(R, kRoutingPage, u2, "I need the shop staff", "bot passes to the Page Inbox",
               {kInbox, {kBot}, {kAgent}, {pass(kBot, kInbox), pass(kAgent, kInbox)}, {kBot}, {}}));
  s.push_back(control(R, kRoutingPage, u2, "Done in the inbox: to the default app",
                      "Page Inbox: the human moves the thread to Done",
                      [u2](Emulator& emu) -> Result<std::string> {
                        if (auto r = emu.inboxMove(kRoutingPage, u2, InboxFolder::kDone); !r) {
                          return std::move(r).error();
                        }
                        return std::string();
                      },
                      {kBot, {}, {}, {pass(kBot, kBot), pass(kAgent, kBot)}, {kBot}, {}}));
  s.push_back(userSays(
      R, kRoutingPage, u2, "agent please", "bot passes to the agent again",
      {kAgent, {kBot}, {kAgent}, {pass(kAgent, kAgent), pass(kBot, kAgent)}, {kBot, kAgent}, {}}));
  s.push_back(userSays(
      R, kRoutingPage, u2, "menu", "default app takes control back",
      {kBot, {kAgent}, {kBot}, {{kAgent, EventKind::kTakeThreadControl, kBot}}, {kBot}, {}}));
  s.push_back(control(R, kRoutingPage, u2, "24 h of silence: control expires",
                      "clock: 25 hours pass",
                      [](Emulator& emu) -> Result<std::string> {
                        if (auto r = emu.advanceClock(std::chrono::hours(25)); !r) {
                          return std::move(r).error();
                        }
                        return std::string();
                      },
                      {"", {}, {}, {}, {}, {}}));

  // Zero-config: the Page admin removes the default app; request is the way in.
  s.push_back(control(Z, kRoutingPage, u3, "no default app any more",
                      "Page settings: the default app is removed",
                      [](Emulator& emu) -> Result<std::string> {
                        if (auto r = emu.setDefaultApp(kRoutingPage, ""); !r)
                          return std::move(r).error();
                        return std::string();
                      },
                      {"", {}, {}, {}, {}, {}}));
  s.push_back(userSays(
      Z, kRoutingPage, u3, "urgent: wrong size delivered", "idle: agent requests and gets it",
      {kAgent, {kBot, kAgent}, {}, {pass(kAgent, kAgent), pass(kBot, kAgent)}, {kAgent}, {}}));
  s.push_back(userSays(Z, kRoutingPage, u3, "thanks", "agent releases",
                       {"", {kAgent}, {kBot}, {}, {kAgent}, {}}));

  // WhatsApp (whatsapp.md): bot = the default entry point's primary; the desk holds
  // customer_service, is the escalation partner and has standby visibility. Sends are not
  // echoed to the sender here, so no step expects an echo.
  const std::string W = "whatsapp";
  const auto& u4 = kUserWhatsApp;
  s.push_back(userSays(W, kNumber, u4, "hello", "idle thread: the primary answers",
                       {kBot, {kBot}, {kAgent}, {}, {}, {}}));
  s.push_back(userSays(W, kNumber, u4, "can I talk to a human?",
                       "bot passes to the customer_service role",
                       {kAgent, {kBot}, {kAgent}, {passedTo(kAgent)}, {}, {}}));
  s.push_back(userSays(W, kNumber, u4, "my parcel is late", "agent owns; the bot sees nothing",
                       {kAgent, {kAgent}, {}, {}, {}, {}}));
  s.push_back(userSays(W, kNumber, u4, "thanks, bye", "agent releases: idle, no webhook",
                       {"", {kAgent}, {}, {}, {}, {}}));
  s.push_back(userSays(W, kNumber, u4, "urgent: I was charged twice",
                       "escalation partner answers: an implicit take",
                       {kAgent, {kBot}, {kAgent}, {takenFrom(kBot)}, {}, {}}));
  s.push_back(advance(W, kNumber, u4, "24 h of user silence: idle", std::chrono::hours(25),
                      {"", {}, {}, {}, {}, {}}));
  return s;
}

// --- observing and judging a step -------------------------------------------------------------

struct Observation {
  std::string owner;
  std::optional<std::int64_t> expiration;
  demo::TimelineSlice slice;
};

std::string quote(const std::string& s) {
  std::string t = s.size() > 48 ? s.substr(0, 45) + "..." : s;
  return "\"" + t + "\"";
}

std::string describe(const webhook::Event& e) {
  using namespace handover::webhook;
  if (const auto* m = e.get<Message>()) return quote(m->text);
  if (const auto* ec = e.get<Echo>())
    return "from " + who(ec->app_id.value_or("?")) + " " + quote(ec->text);
  // The event names the owners, not the caller: previous owner (idle when there was none).
  if (const auto* p = e.get<PassThreadControl>()) {
    return "owner " + who(p->previous_owner_app_id.value_or("")) + " -> " +
           who(p->new_owner_app_id.value_or("")) +
           (p->metadata.empty() ? "" : "  metadata " + quote(p->metadata));
  }
  if (const auto* t = e.get<TakeThreadControl>()) {
    return "owner " + who(t->previous_owner_app_id.value_or("")) + " -> " +
           who(t->new_owner_app_id.value_or("")) +
           (t->metadata.empty() ? "" : "  metadata " + quote(t->metadata));
  }
  if (const auto* r = e.get<RequestThreadControl>()) {
    return "by " + who(r->requested_owner_app_id) +
           (r->metadata.empty() ? "" : "  metadata " + quote(r->metadata));
  }
  if (const auto* m = e.get<WhatsAppMessage>()) return quote(m->text);
  if (const auto* ec = e.get<WhatsAppEcho>()) return quote(ec->text);
  if (const auto* st = e.get<WhatsAppStatus>()) return st->status;
  const auto roles = [](const WhatsAppHandover& h) {
    const auto role = [](const std::optional<wa::RoleName>& r) {
      return r ? r->wire() : std::string("?");
    };
    return "role " + role(h.previous_owner_role) + " -> " + role(h.new_owner_role) +
           (h.metadata.empty() ? "" : "  metadata " + quote(h.metadata));
  };
  if (const auto* p = e.get<ControlPassed>()) return roles(*p);
  if (const auto* t = e.get<ControlTaken>()) return roles(*t);
  return "";
}

std::optional<HandoverExpect> handoverOf(const demo::Delivered& d) {
  using namespace handover::webhook;
  if (const auto* p = d.event.get<PassThreadControl>()) {
    return HandoverExpect{d.app_id, EventKind::kPassThreadControl,
                          p->new_owner_app_id.value_or("")};
  }
  if (const auto* t = d.event.get<TakeThreadControl>()) {
    return HandoverExpect{d.app_id, EventKind::kTakeThreadControl,
                          t->new_owner_app_id.value_or("")};
  }
  if (const auto* r = d.event.get<RequestThreadControl>()) {
    return HandoverExpect{d.app_id, EventKind::kRequestThreadControl, r->requested_owner_app_id};
  }
  if (d.event.get<ControlPassed>() != nullptr) {
    return HandoverExpect{d.app_id, EventKind::kControlPassed, d.app_id};
  }
  if (d.event.get<ControlTaken>() != nullptr) {
    return HandoverExpect{d.app_id, EventKind::kControlTaken, ""};
  }
  return std::nullopt;
}

std::string eventMid(const webhook::Event& e) {
  if (const auto* m = e.get<webhook::Message>()) return m->mid;
  if (const auto* ec = e.get<webhook::Echo>()) return ec->mid;
  if (const auto* wm = e.get<webhook::WhatsAppMessage>()) return wm->id;
  return "";
}

// Deviations of an observation from the expectation; empty when the step is right.
std::vector<std::string> judge(const Step& step, const std::string& mid, const Observation& o,
                               std::int64_t now_s) {
  std::vector<std::string> bad;
  const Expect& x = step.expect;
  if (o.owner != x.owner) bad.push_back("owner is " + who(o.owner) + ", expected " + who(x.owner));
  if (!mid.empty()) {
    std::set<std::string> messaging, standby;
    for (const auto& d : o.slice.delivered) {
      if (d.event.userId() != step.user || eventMid(d.event) != mid) continue;
      (d.event.standby ? standby : messaging).insert(d.app_id);
    }
    auto names = [](const std::set<std::string>& s) {
      std::string out;
      for (const auto& a : s) out += (out.empty() ? "" : ",") + who(a);
      return out.empty() ? std::string("nobody") : out;
    };
    if (messaging != x.messaging) {
      bad.push_back("messaging went to " + names(messaging) + ", expected " + names(x.messaging));
    }
    if (standby != x.standby) {
      bad.push_back("standby went to " + names(standby) + ", expected " + names(x.standby));
    }
  }
  std::set<HandoverExpect> handovers;
  std::set<std::string> echoes;
  for (const auto& d : o.slice.delivered) {
    if (d.event.userId() != step.user) continue;
    if (auto h = handoverOf(d)) handovers.insert(*h);
    if (const auto* ec = d.event.get<webhook::Echo>()) echoes.insert(ec->app_id.value_or(""));
  }
  for (const auto& h : x.handovers) {
    if (!handovers.count(h)) {
      bad.push_back(std::string("missing ") + webhook::toString(h.kind) + " (new owner " +
                    who(h.new_owner) + ") to " + who(h.app));
    }
  }
  for (const auto& h : handovers) {
    if (!x.handovers.count(h)) {
      bad.push_back(std::string("unexpected ") + webhook::toString(h.kind) + " to " + who(h.app));
    }
  }
  for (const auto& e : x.echoes_from) {
    if (!echoes.count(e)) bad.push_back("no message sent by " + who(e));
  }
  if (x.min_expiration_from_now) {
    if (!o.expiration || *o.expiration - now_s < *x.min_expiration_from_now) {
      bad.push_back("control expires too early");
    }
  }
  for (const auto& f : o.slice.failed_calls) {
    bad.push_back(who(f.app_id) + "'s " + f.method + " " + f.path + " failed: HTTP " +
                  std::to_string(f.status) + " " + f.response);
  }
  for (const auto& p : o.slice.problems) bad.push_back(p);
  return bad;
}

// Waits until the step's expectations can be judged: the expected effects are visible and the
// system is quiet (no delivery pending, no new timeline entry for a short while). Bounded.
Observation observe(Emulator& emu, const Step& step, const std::string& mid, std::uint64_t since,
                    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto now_s = [&] { return handover::epochMillis(emu.now()) / 1000; };
  Observation o;
  auto snapshot = [&] {
    auto st = emu.threadState(step.page, step.user);
    o.owner = st ? st->owner_app_id : "?";
    o.expiration = st && st->expiration
                       ? std::optional<std::int64_t>(st->expiration->time_since_epoch().count())
                       : std::nullopt;
    o.slice = demo::readTimeline(emu, since);
  };
  while (true) {
    snapshot();
    if (judge(step, mid, o, now_s()).empty()) break;
    if (std::chrono::steady_clock::now() >= deadline) return o;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Quiet period: late reactions (an extra reply, a stray event) must be seen and judged too.
  std::uint64_t last = o.slice.last_seq;
  while (std::chrono::steady_clock::now() < deadline) {
    emu.waitForDeliveries(std::chrono::milliseconds(1000));
    std::this_thread::sleep_for(std::chrono::milliseconds(120));
    snapshot();
    if (o.slice.last_seq == last) break;
    last = o.slice.last_seq;
  }
  return o;
}

// --- printing --------------------------------------------------------------------------------

constexpr int kEraWidth = 13;
int g_title_width = 36;  // the longest title + 2, set in main
constexpr int kOwnerWidth = 12;

void printStep(std::size_t n, const Step& step, const Observation& o,
               const std::vector<std::string>& bad) {
  std::ostringstream head;
  head << std::right << std::setw(2) << n << "  " << std::left << std::setw(kEraWidth) << step.era
       << std::setw(g_title_width) << step.title << std::setw(kOwnerWidth) << who(o.owner)
       << (bad.empty() ? "ok" : "DEVIATION");
  std::cout << "\n" << head.str() << "\n    > " << step.action_text << "\n";
  // In the order things happened: each webhook by the emulator's stamp of its event (strictly
  // increasing), each call just after the last event stamped before it (so a call comes before
  // the webhooks it caused), messaging before standby. Arrival order alone would vary between
  // runs: the apps' delivery workers run in parallel.
  struct Line {
    std::int64_t stamp;
    int after;  // 0: an event; 1: a call made after every event stamped up to `stamp`
    bool standby;
    std::string app;
    std::string text;
  };
  std::vector<Line> lines;
  for (const auto& c : o.slice.calls) {
    // The thread-control calls the step made, with the answer (send calls show as echoes).
    if (c.path.find("thread_control") == std::string::npos &&
        c.path.find("thread_owner") == std::string::npos) {
      continue;
    }
    std::ostringstream line;
    line << "      " << std::left << std::setw(10) << "call" << std::setw(7) << who(c.app_id)
         << c.method << " " << c.path.substr(c.path.rfind('/') + 1) << " -> HTTP " << c.status;
    if (c.path.find("release_thread_control") != std::string::npos) {
      line << "  (release sends no webhook)";
    }
    lines.push_back({c.stamp_before, 1, false, who(c.app_id), line.str()});
  }
  for (const auto& d : o.slice.delivered) {
    std::ostringstream line;
    line << "      " << std::left << std::setw(10) << (d.event.standby ? "standby" : "messaging")
         << std::setw(7) << who(d.app_id) << std::setw(24) << webhook::toString(d.event.kind())
         << describe(d.event);
    lines.push_back({d.stamp, 0, d.event.standby, who(d.app_id), line.str()});
  }
  std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) {
    return std::tie(a.stamp, a.after, a.standby, a.app) <
           std::tie(b.stamp, b.after, b.standby, b.app);
  });
  if (o.slice.delivered.empty()) std::cout << "      (no webhook)\n";
  for (const auto& l : lines) std::cout << l.text << "\n";
  for (const auto& b : bad) std::cout << "      !! " << b << "\n";
}

// --- setup -----------------------------------------------------------------------------------

std::string selfDir() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string path(buf, static_cast<std::size_t>(n));
  return path.substr(0, path.rfind('/'));
}

AppConfig appConfig(const std::string& id, const std::string& name, Role role,
                    const std::string& prefix, const std::string& webhook, bool require_proof) {
  AppConfig a;
  a.id = id;
  a.name = name;
  a.role = role;
  a.page_tokens = {{kLegacyPage, prefix + "-legacy-page-token"},
                   {kRoutingPage, prefix + "-routing-page-token"},
                   {kNumber, prefix + "-whatsapp-token"}};
  a.app_secret = prefix + "-app-secret";
  a.require_appsecret_proof = require_proof;
  a.webhook_url = webhook;
  a.subscribed_fields = {"messages", "standby", "messaging_handovers", "message_echoes",
                         "messaging_postbacks"};
  return a;
}

std::map<std::string, std::string> appEnv(const AppConfig& a) {
  std::string tokens;
  for (const auto& [page, token] : a.page_tokens) {
    tokens += (tokens.empty() ? "" : ",") + page + "=" + token;
  }
  return {{"HANDOVER_APP_SECRET", a.app_secret}, {"HANDOVER_PAGE_TOKENS", tokens}};
}

struct Options {
  bool verbose = false;
  std::string bot_path, agent_path;
  std::chrono::milliseconds step_timeout{10'000};
};

void printLogs(const char* name, const demo::ChildProcess& child) {
  std::cout << "\n--- " << name << " (pid " << child.pid() << ") output ---\n";
  for (const auto& l : child.log()) std::cout << l << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  opt.bot_path = selfDir() + "/demo_bot";
  opt.agent_path = selfDir() + "/demo_agent";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout
          << "usage: handover_demo [--verbose] [--bot PATH] [--agent PATH] [--step-timeout-ms N]\n"
             "Runs the end-to-end handover demo: the emulator in this process, demo_bot and\n"
             "demo_agent as separate processes on loopback, 30 steps of both Messenger eras\n"
             "and WhatsApp. Each step prints the Graph call it makes and its result, then who\n"
             "received what; it checks the true owner and exits 1 on the first deviation, 0\n"
             "after \"30/30 steps as the protocol says\".\n"
             "  --verbose            also print each app's own log after the table\n"
             "  --bot PATH           the bot app binary (default: demo_bot beside this one)\n"
             "  --agent PATH         the agent app binary (default: demo_agent beside this one)\n"
             "  --step-timeout-ms N  how long a step waits for its webhooks (default 10000)\n";
      return 0;
    }
    if (a == "--verbose") {
      opt.verbose = true;
    } else if (a == "--bot" && i + 1 < argc) {
      opt.bot_path = argv[++i];
    } else if (a == "--agent" && i + 1 < argc) {
      opt.agent_path = argv[++i];
    } else if (a == "--step-timeout-ms" && i + 1 < argc) {
      opt.step_timeout = std::chrono::milliseconds(std::atol(argv[++i]));
    } else {
      std::cerr << "usage: handover_demo [--verbose] [--bot PATH] [--agent PATH] "
                   "[--step-timeout-ms N]\n";
      return 2;
    }
  }

  // Start both apps first (any free port each), then the emulator with their webhook URLs,
  // then tell the apps where the Graph API is.
  AppConfig bot = appConfig(kBot, "Shop Bot", Role::kPrimary, "bot", "", false);
  AppConfig agent = appConfig(kAgent, "Agent Desk", Role::kSecondary, "agent", "", true);
  std::string error;
  auto bot_proc = demo::ChildProcess::spawn(
      {opt.bot_path, "--port", "0", "--app-id", kBot, "--peer-app-id", kAgent, "--graph-url", "-"},
      appEnv(bot), error);
  if (!bot_proc) {
    std::cerr << "handover_demo: " << error << "\n";
    return 2;
  }
  auto agent_proc = demo::ChildProcess::spawn({opt.agent_path, "--port", "0", "--app-id", kAgent,
                                               "--peer-app-id", kBot, "--graph-url", "-"},
                                              appEnv(agent), error);
  if (!agent_proc) {
    std::cerr << "handover_demo: " << error << "\n";
    return 2;  // bot_proc's destructor stops the bot
  }
  auto webhookUrl = [](demo::ChildProcess& p) -> std::string {
    auto line = p.readFirstLine(std::chrono::seconds(10));
    if (!line) return "";
    const std::string marker = "listening on ";
    const auto at = line->find(marker);
    return at == std::string::npos ? "" : line->substr(at + marker.size());
  };
  bot.webhook_url = webhookUrl(*bot_proc);
  agent.webhook_url = webhookUrl(*agent_proc);
  if (bot.webhook_url.empty() || agent.webhook_url.empty()) {
    std::cerr << "handover_demo: an app did not start\n";
    printLogs("bot", *bot_proc);
    printLogs("agent", *agent_proc);
    return 2;
  }

  Config config;
  config.pages.push_back({kLegacyPage, "Legacy Shop", Platform::kMessenger, Era::kLegacy, ""});
  config.pages.push_back({kRoutingPage, "Routing Shop", Platform::kMessenger, Era::kRouting, kBot});
  config.apps = {bot, agent};
  WhatsAppNumberConfig number;
  number.id = kNumber;
  number.waba_id = kWaba;
  number.display_phone_number = "15550783881";
  number.name = "Shop on WhatsApp";
  number.escalation_partner = kAgent;
  number.entry_points["default"] = {kBot, {{"utility", kBot}, {"customer_service", kAgent}}};
  number.standby = {kAgent};
  config.whatsapp_numbers = {number};
  std::unique_ptr<Emulator> emu;
  try {
    emu = std::make_unique<Emulator>(config);
  } catch (const std::exception& e) {
    std::cerr << "handover_demo: bad emulator config: " << e.what() << "\n";
    return 2;
  }
  auto port = emu->start("127.0.0.1", 0);
  if (!port) {
    std::cerr << "handover_demo: emulator: " << port.error().message << "\n";
    return 2;
  }
  bot_proc->writeLine(emu->baseUrl());
  agent_proc->writeLine(emu->baseUrl());

  std::cout << "handover demo: Meta's handover walkthrough, end to end on loopback\n"
            << "  emulator  " << emu->baseUrl() << "  (legacy page " << kLegacyPage
            << ", routing page " << kRoutingPage << ", WhatsApp number " << kNumber << ")\n"
            << "  bot       app " << kBot << "  pid " << bot_proc->pid() << "  " << bot.webhook_url
            << "  (primary receiver / default app)\n"
            << "  agent     app " << kAgent << "  pid " << agent_proc->pid() << "  "
            << agent.webhook_url << "  (secondary receiver; appsecret_proof required)\n\n";
  const auto steps = story();
  for (const auto& st : steps) {
    g_title_width = std::max(g_title_width, static_cast<int>(st.title.size()) + 2);
  }
  std::ostringstream cols;
  cols << " #  " << std::left << std::setw(kEraWidth) << "ERA" << std::setw(g_title_width) << "STEP"
       << std::setw(kOwnerWidth) << "OWNER AFTER"
       << "CHECK\n"
       << "    > ACTION\n"
       << "      " << std::setw(10) << "RECEIVED" << std::setw(7) << "APP" << std::setw(24)
       << "EVENT"
       << "DETAIL (a handover event names the previous and new owner, not the caller)\n"
       << "      " << std::setw(10) << "call" << std::setw(7) << "APP"
       << "the Graph thread-control call the step made, and its HTTP answer";
  std::cout << cols.str() << "\n";

  std::size_t failed = 0;
  std::uint64_t seq = demo::readTimeline(*emu, 0).last_seq;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const Step& step = steps[i];
    auto mid = step.action(*emu);
    Observation o;
    std::vector<std::string> bad;
    if (!mid) {
      bad.push_back("the emulator refused the step: " + mid.error().message);
    } else {
      o = observe(*emu, step, *mid, seq, opt.step_timeout);
      bad = judge(step, *mid, o, handover::epochMillis(emu->now()) / 1000);
      seq = o.slice.last_seq;
    }
    printStep(i + 1, step, o, bad);
    if (!bad.empty()) ++failed;
  }

  emu->stop();
  // The apps stop on their own when their stdin closes; anything else is a failure too.
  bool apps_ok = true;
  for (auto* child : {bot_proc.get(), agent_proc.get()}) {
    const int status = child->stop(std::chrono::seconds(3));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::cout << "\n!! " << (child == bot_proc.get() ? "bot" : "agent")
                << " did not exit cleanly (wait status " << status << ")\n";
      apps_ok = false;
    }
  }
  if (opt.verbose || failed != 0 || !apps_ok) {
    printLogs("bot", *bot_proc);
    printLogs("agent", *agent_proc);
  }
  std::cout << "\n"
            << (steps.size() - failed) << "/" << steps.size() << " steps as the protocol says"
            << (failed ? ": DEVIATIONS above" : "") << "\n";
  return failed == 0 && apps_ok ? 0 : 1;
}
