// The demo's live-agent app (a Secondary Receiver on legacy Pages). It greets users passed to
// it, answers them, extends its control when a callback is promised, hands back when the user
// says thanks (pass to the Primary Receiver on legacy Pages, release under Conversation
// Routing), and asks for control of threads whose messages say "urgent". Public API only.

#include <map>

#include "app_server.hpp"

using namespace handover;
using namespace handover::webhook;

namespace {

enum class Model { kConversationRouting, kHandoverProtocol };

// Conversation Routing is on for the Page: messaging_feature_status.msgr_multi_app.
Result<Model> pageModel(Context& ctx, std::map<std::string, Model>& cache) {
  auto it = cache.find(ctx.pageId());
  if (it != cache.end()) return it->second;
  auto status = ctx.client().getMessagingFeatureStatus();
  if (!status) return std::move(status).error();
  const bool on =
      ctx.platform() == Platform::kInstagram ? status->ig_multi_app : status->msgr_multi_app;
  const Model model = on ? Model::kConversationRouting : Model::kHandoverProtocol;
  cache[ctx.pageId()] = model;
  return model;
}

Result<void> say(Context& ctx, const std::string& text) {
  auto r = ctx.sendText("agent: " + text);
  return r ? Result<void>{} : Result<void>(r.error());
}

Router makeAgentRouter(const demo::AppInfo& me) {
  Router router;
  // The dispatch worker is a single thread: the cache needs no lock.
  auto routing_cache = std::make_shared<std::map<std::string, Model>>();
  router.onPassThreadControl([me](Context& ctx, const PassThreadControl& p) -> Result<void> {
    if (!p.new_owner_app_id || *p.new_owner_app_id != me.app_id) return {};
    demo::say(me, "got " + ctx.userId() + " (metadata \"" + p.metadata + "\")");
    return say(ctx, "hi, I'm Alex from the support desk");
  });
  router.onMessage([me, routing_cache](Context& ctx, const Message& m) -> Result<void> {
    if (m.text == "menu") return {};  // the bot's keyword
    // Zero-config idle threads deliver `messaging` to every app: act only on what we own.
    auto owner = ctx.threadOwnership();
    if (!owner) return owner.error();
    if (*owner != ThreadOwnership::kThisApp) {
      if (!demo::mentions(m.text, "urgent")) return {};
      demo::say(me, "requesting idle thread " + ctx.userId());
      auto r = ctx.requestThreadControl("urgent: the desk picks it up");
      return r ? Result<void>{} : Result<void>(r.error());
    }
    if (demo::mentions(m.text, "tomorrow")) {
      if (auto r = ctx.extendThreadControl(std::chrono::hours(48)); !r) return r;
      demo::say(me, "extended control of " + ctx.userId() + " by 48 h");
      return say(ctx, "I'll keep this conversation open until then");
    }
    if (demo::mentions(m.text, "thanks") || demo::mentions(m.text, "bye")) {
      if (auto r = say(ctx, "glad to help"); !r) return r;
      auto model = pageModel(ctx, *routing_cache);
      if (!model) return model.error();
      if (*model == Model::kConversationRouting) {
        demo::say(me, "releasing " + ctx.userId());
        return ctx.releaseThreadControl();
      }
      demo::say(me, "passing " + ctx.userId() + " back to the primary receiver");
      return ctx.passThreadControl("", "resolved");  // legacy: empty target = the Primary
    }
    return say(ctx, "I'm looking into it");
  });
  router.onMessage(
      [me](Context& ctx, const Message& m) -> Result<void> {
        if (!demo::mentions(m.text, "urgent")) return {};
        demo::say(me, "requesting " + ctx.userId() + " from its owner");
        auto r = ctx.requestThreadControl("urgent: the desk picks it up");
        return r ? Result<void>{} : Result<void>(r.error());
      },
      Source::kStandby);
  router.onTakeThreadControl([me](Context& ctx, const TakeThreadControl&) {
    demo::say(me, "control of " + ctx.userId() + " was taken from us");
  });
  // WhatsApp: the desk holds customer_service and is the number's escalation partner, with
  // standby visibility. It greets threads passed to it, releases when done (the thread goes
  // idle, silently), and takes an "urgent" thread it sees on standby by answering it: a
  // Service send by the escalation partner is an implicit take (whatsapp.md §2).
  router.onControlPassed([me](WhatsAppContext& ctx, const ControlPassed& p) -> Result<void> {
    demo::say(me, "got WhatsApp user " + ctx.userId() + " (metadata \"" + p.metadata + "\")");
    auto r = ctx.sendText("agent: hi, I'm Alex from the support desk");
    return r ? Result<void>{} : Result<void>(r.error());
  });
  router.onWhatsAppMessage([me](WhatsAppContext& ctx, const WhatsAppMessage& m) -> Result<void> {
    if (demo::mentions(m.text, "thanks") || demo::mentions(m.text, "bye")) {
      if (auto r = ctx.sendText("agent: glad to help"); !r) return r.error();
      demo::say(me, "releasing WhatsApp user " + ctx.userId());
      auto r = ctx.releaseThreadControl("resolved");
      return r ? Result<void>{} : Result<void>(r.error());
    }
    auto r = ctx.sendText("agent: I'm looking into it");
    return r ? Result<void>{} : Result<void>(r.error());
  });
  router.onWhatsAppMessage(
      [me](WhatsAppContext& ctx, const WhatsAppMessage& m) -> Result<void> {
        if (!demo::mentions(m.text, "urgent")) return {};
        demo::say(me, "taking WhatsApp user " + ctx.userId() + " by answering (escalation)");
        auto r = ctx.sendText("agent: the support desk is on it");
        return r ? Result<void>{} : Result<void>(r.error());
      },
      Source::kStandby);
  router.onAny([me](Context& ctx, const Event& e) {
    demo::say(me, std::string(e.standby ? "standby   " : "messaging ") + toString(e.kind()) +
                      " page=" + ctx.pageId() + " user=" + ctx.userId());
  });
  return router;
}

}  // namespace

int main(int argc, char** argv) {
  return demo::runApp(argc, argv, "agent", makeAgentRouter);
}
