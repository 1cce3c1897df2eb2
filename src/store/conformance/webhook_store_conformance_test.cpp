// The webhook outbox on both backends: staged events commit with the change they announce and
// only with it (a rollback or a change that did not happen writes none), fan out to the enabled
// endpoints subscribed to their type, are claimed under a lease another instance respects, and
// keep their attempt log; disabling respects a later success; redelivery copies the event.
#include <thread>

#include "store/conformance/store_conformance.hpp"
#include "store/store_errors.hpp"

namespace archon::store::conformance {
namespace {

class WebhookStoreConformance : public StoreConformance {
 protected:
  void SetUp() override {
    StoreConformance::SetUp();
    add_endpoint("wh_a", {"user.registered"});
  }
  void add_endpoint(const std::string& id, std::vector<std::string> types, bool enabled = true) {
    WebhookEndpointRecord e;
    e.id = id;
    e.url = "https://hooks.example.com/" + id;
    e.event_types = std::move(types);
    e.enabled = enabled;
    e.secret_sealed = std::string("\x01\x00sealed", 8);
    e.created_at = e.updated_at = 1000;
    webhooks().insert_endpoint(e);
  }
  static OutboxEvent event(const std::string& id, const std::string& type) {
    return {id, type, 1000, R"({"type":")" + type + R"(","data":{}})"};
  }
  static UserRecord user(const std::string& id, const std::string& email) {
    UserRecord u;
    u.id = id;
    u.email = u.email_normalized = email;
    u.name = "N";
    u.password_hash = "h";
    u.created_at = u.updated_at = 1000;
    return u;
  }
  bool create_user_announcing(const std::string& id, const std::string& email, std::vector<OutboxEvent> events) {
    EventScope scope;
    for (auto& e : events) EventScope::stage(std::move(e));
    return identity().create_user(user(id, email), {"user"}, std::nullopt, std::nullopt);
  }
  std::int64_t deliveries() { return count("SELECT COUNT(*) FROM webhook_deliveries"); }
};

TEST_P(WebhookStoreConformance, AnEventCommitsWithItsChangeAndOnlyToSubscribers) {
  add_endpoint("wh_all", {"*"});
  add_endpoint("wh_sessions", {"session.revoked"});
  add_endpoint("wh_off", {"*"}, /*enabled=*/false);
  ASSERT_TRUE(create_user_announcing("user_1", "a@example.com", {event("msg_1", "user.registered")}));
  EXPECT_EQ(deliveries(), 2) << "wh_a and wh_all; not the session-only nor the disabled endpoint";
  EXPECT_EQ(count("SELECT COUNT(*) FROM webhook_deliveries WHERE event_id = 'msg_1' AND status = 'pending'"), 2);
}

TEST_P(WebhookStoreConformance, AChangeThatDidNotHappenAnnouncesNothing) {
  ASSERT_TRUE(create_user_announcing("user_1", "a@example.com", {event("msg_1", "user.registered")}));
  EXPECT_FALSE(create_user_announcing("user_2", "a@example.com", {event("msg_2", "user.registered")}))
      << "the email is taken";
  EXPECT_EQ(count("SELECT COUNT(*) FROM webhook_deliveries WHERE event_id = 'msg_2'"), 0);
}

TEST_P(WebhookStoreConformance, ARolledBackChangeAnnouncesNothing) {
  ASSERT_TRUE(identity().create_user(user("user_1", "a@example.com"), {"admin"}, std::nullopt, std::nullopt));
  EventScope scope;
  EventScope::stage(event("msg_x", "user.registered"));
  AdminChange change{std::nullopt, std::vector<std::string>{"user"}, std::nullopt, std::nullopt};
  EXPECT_THROW(identity().update_user_admin("user_1", change, 1001, [](auto, auto) { return false; }), ChangeRefused);
  EXPECT_EQ(deliveries(), 0);
}

TEST_P(WebhookStoreConformance, WithoutAScopeNothingIsStaged) {
  EXPECT_FALSE(EventScope::stage(event("msg_1", "user.registered")));
  ASSERT_TRUE(identity().create_user(user("user_1", "a@example.com"), {"user"}, std::nullopt, std::nullopt));
  EXPECT_EQ(deliveries(), 0);
}

TEST_P(WebhookStoreConformance, AClaimIsLeasedAgainstEveryInstanceUntilItRunsOut) {
  ASSERT_TRUE(create_user_announcing("user_1", "a@example.com", {event("msg_1", "user.registered")}));
  auto claimed = webhooks().claim_due_deliveries(1000, 10, 60);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].event_id, "msg_1");
  EXPECT_EQ(claimed[0].endpoint_id, "wh_a");
  EXPECT_EQ(claimed[0].attempts, 0);
  EXPECT_TRUE(webhooks().claim_due_deliveries(1001, 10, 60).empty()) << "leased";
  auto other = open_another();
  EXPECT_TRUE(other->webhooks().claim_due_deliveries(1059, 10, 60).empty()) << "leased for every instance";
  EXPECT_EQ(other->webhooks().claim_due_deliveries(1060, 10, 60).size(), 1u) << "the lease ran out";
}

TEST_P(WebhookStoreConformance, AttemptsAreLoggedAndASuccessStampsTheEndpoint) {
  ASSERT_TRUE(create_user_announcing("user_1", "a@example.com", {event("msg_1", "user.registered")}));
  auto d = webhooks().claim_due_deliveries(1000, 1, 60).at(0);
  webhooks().record_attempt({d.id, 1, 1000, 500, 12, "HTTP 500"}, {"pending", 1005}, "wh_a");
  EXPECT_TRUE(webhooks().claim_due_deliveries(1004, 1, 60).empty()) << "not due before its retry";
  auto again = webhooks().claim_due_deliveries(1005, 1, 60);
  ASSERT_EQ(again.size(), 1u) << "the lease was released with the attempt";
  webhooks().record_attempt({d.id, 2, 1005, 204, 3, ""}, {"succeeded", 1005}, "wh_a");
  auto [page, total] = webhooks().list_deliveries("wh_a", 0, 10);
  ASSERT_EQ(total, 1);
  EXPECT_EQ(page[0].status, "succeeded");
  EXPECT_EQ(page[0].attempts, 2);
  EXPECT_EQ(page[0].completed_at, 1005);
  ASSERT_EQ(page[0].attempt_log.size(), 2u);
  EXPECT_EQ(page[0].attempt_log[0].status_code, 500);
  EXPECT_EQ(page[0].attempt_log[0].error, "HTTP 500");
  EXPECT_EQ(page[0].attempt_log[1].status_code, 204);
  EXPECT_EQ(webhooks().find_endpoint("wh_a")->last_success_at, 1005);
  EXPECT_FALSE(webhooks().disable_failing_endpoint("wh_a", 1000, "failing", 1010)) << "it succeeded since";
  EXPECT_TRUE(webhooks().disable_failing_endpoint("wh_a", 1006, "failing", 1010));
  auto e = webhooks().find_endpoint("wh_a");
  EXPECT_FALSE(e->enabled);
  EXPECT_EQ(e->disabled_reason, "failing");
}

TEST_P(WebhookStoreConformance, RedeliveryCopiesTheEventAndDeletionTakesEverything) {
  ASSERT_TRUE(create_user_announcing("user_1", "a@example.com", {event("msg_1", "user.registered")}));
  auto d = webhooks().claim_due_deliveries(1000, 1, 60).at(0);
  webhooks().record_attempt({d.id, 1, 1000, 200, 3, ""}, {"succeeded", 1000}, "wh_a");
  auto copy = webhooks().redeliver("wh_a", d.id, 2000);
  ASSERT_TRUE(copy.has_value());
  EXPECT_FALSE(webhooks().redeliver("wh_other", d.id, 2000).has_value()) << "not this endpoint's delivery";
  auto due = webhooks().claim_due_deliveries(2000, 10, 60);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, *copy);
  EXPECT_EQ(due[0].event_id, "msg_1");
  EXPECT_EQ(due[0].payload, d.payload);
  EXPECT_EQ(webhooks().count_pending_deliveries(), 1);
  EXPECT_TRUE(webhooks().delete_endpoint("wh_a"));
  EXPECT_EQ(deliveries(), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM webhook_attempts"), 0);
}

// SQLite's group commit runs queued callers' transactions on whichever thread commits: each
// caller's events must still go with its own change, none lost, none doubled.
TEST_P(WebhookStoreConformance, ConcurrentWritersEachCommitTheirOwnEvents) {
  // Half the writes change nothing (the email is taken) and cancel their events; a cancel run on
  // the committing thread must not clear another caller's.
  ASSERT_TRUE(identity().create_user(user("user_taken", "taken@example.com"), {"user"}, std::nullopt, std::nullopt));
  constexpr int kThreads = 8, kEach = 10;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        std::string id = std::to_string(t) + "_" + std::to_string(i);
        EXPECT_TRUE(create_user_announcing("user_" + id, id + "@example.com", {event("msg_" + id, "user.registered")}));
        EXPECT_FALSE(create_user_announcing("user_dup" + id, "taken@example.com", {event("dup_" + id, "user.registered")}));
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(count("SELECT COUNT(DISTINCT event_id) FROM webhook_deliveries WHERE event_id LIKE 'msg_%'"), kThreads * kEach);
  EXPECT_EQ(count("SELECT COUNT(*) FROM webhook_deliveries WHERE event_id LIKE 'dup_%'"), 0);
  EXPECT_EQ(deliveries(), kThreads * kEach);
}

TEST_P(WebhookStoreConformance, PublishedEventsNeedNoOtherChange) {
  webhooks().publish({event("msg_p", "user.registered"), event("msg_q", "user.locked")});
  EXPECT_EQ(deliveries(), 1);
}

ARCHON_STORE_CONFORMANCE(WebhookStoreConformance);

}  // namespace
}  // namespace archon::store::conformance
