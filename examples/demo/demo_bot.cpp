// The demo's bot: the Page's Primary Receiver (legacy) and default app (Conversation Routing).
// It answers users, hands them to the live-agent app when they ask for a human, to the Page
// Inbox when they ask for the shop staff, grants control requests, and takes a thread back when
// it sees "menu" on standby. On the WhatsApp number it is the default entry point's primary and
// passes to the customer_service role. Only handover's public API. See app_server.hpp.

#include "app_server.hpp"

using namespace handover;
using namespace handover::webhook;

namespace {

Router makeBotRouter(const demo::AppInfo& me) {
  Router router;
  router.onMessage([me](Context& ctx, const Message& m) -> Result<void> {
    // "urgent" is the desk's keyword: it watches for it and asks for control itself.
    if (demo::mentions(m.text, "urgent")) return {};
    if (demo::mentions(m.text, "human") || demo::mentions(m.text, "agent")) {
      if (auto r = ctx.sendText("bot: connecting you with a person"); !r) return r.error();
      demo::say(me, "passing " + ctx.userId() + " to the agent app");
      return ctx.passThreadControl(me.peer_app_id, "escalation: user asked for a human");
    }
    if (demo::mentions(m.text, "staff")) {
      if (auto r = ctx.sendText("bot: the shop staff will answer you here"); !r) return r.error();
      demo::say(me, "passing " + ctx.userId() + " to the Page Inbox");
      return ctx.passThreadControlToPageInbox("escalation: shop staff");
    }
    auto r = ctx.sendText("bot: you said: " + m.text);
    return r ? Result<void>{} : Result<void>(r.error());
  });
  // Standby: another app owns the thread. The bot only listens, except for its own keyword.
  router.onMessage(
      [me](Context& ctx, const Message& m) -> Result<void> {
        if (m.text != "menu") return {};
        demo::say(me, "taking " + ctx.userId() + " back for the menu");
        if (auto r = ctx.takeThreadControl("user asked for the menu"); !r) return r.error();
        auto s = ctx.sendText("bot: here is the menu");
        return s ? Result<void>{} : Result<void>(s.error());
      },
      Source::kStandby);
  router.onRequestThreadControl([me](Context& ctx, const RequestThreadControl& r) {
    demo::say(me, "app " + r.requested_owner_app_id + " requests " + ctx.userId() + ": granted");
    return ctx.passThreadControl(r.requested_owner_app_id, "request granted");
  });
  router.onPassThreadControl([me](Context& ctx, const PassThreadControl& p) -> Result<void> {
    if (!p.new_owner_app_id || *p.new_owner_app_id != me.app_id) return {};
    auto r = ctx.sendText("bot: I'm back, anything else?");
    return r ? Result<void>{} : Result<void>(r.error());
  });
  // WhatsApp: the bot is the default entry point's primary. It answers, and passes to whoever
  // holds customer_service when a human is asked for (a role, not an app: whatsapp.md §2).
  router.onWhatsAppMessage([me](WhatsAppContext& ctx, const WhatsAppMessage& m) -> Result<void> {
    if (m.type != "text" || demo::mentions(m.text, "urgent")) return {};  // the desk's keyword
    if (demo::mentions(m.text, "human") || demo::mentions(m.text, "agent")) {
      if (auto r = ctx.sendText("bot: connecting you with a person"); !r) return r.error();
      demo::say(me, "passing WhatsApp user " + ctx.userId() + " to customer_service");
      auto r =
          ctx.passThreadControl(wa::Role::kCustomerService, "escalation: user asked for a human");
      return r ? Result<void>{} : Result<void>(r.error());
    }
    auto r = ctx.sendText("bot: you said: " + m.text);
    return r ? Result<void>{} : Result<void>(r.error());
  });
  router.onControlTaken([me](WhatsAppContext& ctx, const ControlTaken&) {
    demo::say(me, "the escalation partner took WhatsApp user " + ctx.userId());
  });
  router.onAny([me](Context& ctx, const Event& e) {
    demo::say(me, std::string(e.standby ? "standby   " : "messaging ") + toString(e.kind()) +
                      " page=" + ctx.pageId() + " user=" + ctx.userId());
  });
  return router;
}

}  // namespace

int main(int argc, char** argv) {
  return demo::runApp(argc, argv, "bot", makeBotRouter);
}
