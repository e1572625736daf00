#include <catch2/catch.hpp>

#include "engine/daemon/events.hpp"

using namespace engine::daemon;

namespace {

Event die_event() {
    return Event{"container", "die", "abc123", {{"name", "web"}, {"image", "bb:local"}, {"exitCode", "3"}, {"app", "x"}}, 1795874340272730225};
}

}  // namespace

TEST_CASE("events have Docker's wire shape", "[daemon]") {
    auto doc = event_json(die_event());
    CHECK(doc["Type"] == "container");
    CHECK(doc["Action"] == "die");
    CHECK(doc["status"] == "die");
    CHECK(doc["id"] == "abc123");
    CHECK(doc["from"] == "bb:local");
    CHECK(doc["Actor"]["ID"] == "abc123");
    CHECK(doc["Actor"]["Attributes"]["exitCode"] == "3");
    CHECK(doc["scope"] == "local");
    CHECK(doc["time"] == 1795874340);
    CHECK(doc["timeNano"] == 1795874340272730225);
}

TEST_CASE("event filters match type, container, label and event", "[daemon]") {
    Event e = die_event();
    CHECK(event_matches({}, e));
    CHECK(event_matches({{"type", {"container"}}}, e));
    CHECK_FALSE(event_matches({{"type", {"image"}}}, e));
    CHECK(event_matches({{"container", {"web"}}}, e));
    CHECK(event_matches({{"container", {"abc"}}}, e));
    CHECK_FALSE(event_matches({{"container", {"db"}}}, e));
    CHECK(event_matches({{"label", {"app=x"}}, {"event", {"start", "die"}}}, e));
    CHECK_FALSE(event_matches({{"label", {"app=y"}}}, e));
    CHECK(event_matches({{"label", {"app"}}}, e));
    CHECK_FALSE(event_matches({{"event", {"start"}}}, e));
}

TEST_CASE("event times parse as unix seconds or RFC 3339", "[daemon]") {
    CHECK(parse_event_time("1795874340").value() == 1795874340000000000);
    CHECK(parse_event_time("1795874340.5").value() == 1795874340500000000);
    CHECK(parse_event_time("2026-11-29T00:00:00Z").ok());
    CHECK_FALSE(parse_event_time("yesterday").ok());
}

TEST_CASE("the event bus replays history since a time and delivers live events", "[daemon]") {
    EventBus bus;
    Event old = die_event();
    old.time_nano = 100;
    Event recent = die_event();
    recent.time_nano = 200;
    bus.publish(old);
    bus.publish(recent);
    std::vector<std::int64_t> seen;
    {
        auto subscription = bus.subscribe([&](const Event& e) { seen.push_back(e.time_nano); }, 150);
        Event live = die_event();
        live.time_nano = 300;
        bus.publish(live);
    }
    bus.publish(die_event());  // after unsubscribing
    CHECK(seen == std::vector<std::int64_t>{200, 300});
}
