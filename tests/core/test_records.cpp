// The record policy of the shared queue (docs/storage.md): what the engine asks the shell to put
// and delete, adoption of other tabs' records, the sender role, receipts, limits and drops.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "engine_test_support.hpp"
#include "touchpoint/engine.hpp"
#include "touchpoint/limits.hpp"

using namespace touchpoint;
using nlohmann::json;
using touchpoint::test::track_line;

namespace {

EngineConfig config(const std::string& tab, std::size_t flush_at = 5) {
  EngineConfig c;
  c.write_key = "k";
  c.seed = "seed-" + tab;
  c.tab_id = tab;
  c.compress = false;
  c.queue.flush_at = flush_at;
  return c;
}

json out_of(const Output& o) { return json::parse(o.to_json()); }

// "key\tevent" lines for adopt(), from an output's put.
std::string records_of(const json& out, const std::string& mark = "") {
  std::string text;
  for (const auto& r : out["put"]) text += mark + r[0].get<std::string>() + "\t" + r[1].get<std::string>() + "\n";
  return text;
}

std::string message_id(const std::string& event) { return json::parse(event)["messageId"].get<std::string>(); }

}  // namespace

TEST_CASE("records: each queued event is put once, under <tabId>.<seq>, and deleted when delivered") {
  Engine e(config("tabA"));
  json in = out_of(e.ingest(track_line("a", 1000) + track_line("b", 1000), 1000));
  REQUIRE(in["put"].size() == 3);  // session_start, a, b
  std::set<std::string> keys;
  for (const auto& r : in["put"]) {
    keys.insert(r[0].get<std::string>());
    CHECK(r[0].get<std::string>().rfind("tabA.", 0) == 0);
    CHECK(json::parse(r[1].get<std::string>()).contains("messageId"));
  }
  CHECK(keys.size() == 3);
  // A later call puts only what it queued: cost proportional to the change.
  json more = out_of(e.ingest(track_line("c", 1001), 1001));
  CHECK(more["put"].size() == 1);
  json flushed = out_of(e.flush(1002, false, 0));
  REQUIRE(flushed["send"].size() == 1);
  CHECK_FALSE(flushed.contains("put"));
  const auto id = flushed["send"][0]["id"].get<std::uint64_t>();
  json retry = out_of(e.delivered(id, 500, 0, "", 1003));
  CHECK_FALSE(retry.contains("del"));  // not confirmed: the records stay
  e.tick(1003 + limits::kRetryCapMs);
  json sent = out_of(e.flush(1003 + limits::kRetryCapMs, false, 0));
  json done = out_of(e.delivered(id, 200, 0, "{\"accepted\":4,\"duplicates\":0,\"rejected\":[]}", 1004 + limits::kRetryCapMs));
  REQUIRE(done["del"].size() == 4);
  std::set<std::string> deleted;
  for (const auto& k : done["del"]) deleted.insert(k.get<std::string>());
  for (const auto& k : keys) CHECK(deleted.count(k));
}

TEST_CASE("records: the small state holds no events; the full snapshot keeps keys and record_seq") {
  Engine e(config("tabA"));
  e.ingest(track_line("secret_event", 1000), 1000);
  const std::string state = e.state();
  CHECK(state.rfind("TPS2\n", 0) == 0);
  CHECK(state.find("secret_event") == std::string::npos);
  Engine f(config("tabB"));
  json r = out_of(f.restore(state, 2000));
  CHECK(r["errors"].empty());
  CHECK(f.anonymous_id() == e.anonymous_id());
  CHECK(json::parse(f.stats().dump())["queued"] == 0);
  // The guard's snapshot: keys survive, nothing is put again.
  Engine g(config("tabA"));
  json back = out_of(g.restore(e.snapshot(), 2000));
  CHECK_FALSE(back.contains("put"));
  CHECK(g.stats()["queued"] == 2);
  json next = out_of(g.ingest(track_line("after", 2001), 2001));
  CHECK(next["put"][0][0].get<std::string>() == "tabA.0000000003");  // seq continues: no key reused
}

TEST_CASE("records: an old snapshot (events without keys) is migrated once into records") {
  Engine e(config("old"));
  e.ingest(track_line("a", 1000) + track_line("b", 1000), 1000);
  std::string legacy;  // the previous version's format: event lines without "<key>\t"
  const std::string full = e.snapshot();
  for (std::string_view rest = full; !rest.empty();) {
    const std::size_t nl = rest.find('\n');
    std::string line(rest.substr(0, nl));
    const std::size_t tab = line.find('\t');
    if (tab != std::string::npos && line[0] != '{') line = line.substr(tab + 1);
    legacy += line + "\n";
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
  }
  Engine f(config("new"));
  json out = out_of(f.restore(legacy, 2000));
  REQUIRE(out["put"].size() == 3);
  CHECK(out["put"][0][0].get<std::string>().rfind("new.", 0) == 0);
  CHECK(f.stats()["queued"] == 3);
}

TEST_CASE("records: a tab that is not the sender only writes; the sender adopts its records exactly once") {
  Engine writer(config("w"));
  writer.set_sender(false);
  json w = out_of(writer.ingest(track_line("x", 1000) + track_line("y", 1000), 1000));
  CHECK(w["send"].empty());
  // Nothing to wake for but the session's end: it never sends, so no batch makes it spin.
  CHECK((w["wake"].is_null() || w["wake"].get<std::int64_t>() >= 1000 + kDefaultSessionTimeoutMs));
  json wf = out_of(writer.flush(1000, true, 1 << 20));
  CHECK(wf["send"].empty());
  // Its records are stored: it forgets them.
  std::string keys;
  for (const auto& r : w["put"]) keys += r[0].get<std::string>() + "\n";
  CHECK(writer.release(keys) == 3);
  CHECK(writer.stats()["queued"] == 0);

  Engine sender(config("s"));
  const std::string records = records_of(w);
  json a = out_of(sender.adopt(records, 1001));
  CHECK(sender.stats()["queued"] == 3);
  CHECK_FALSE(a.contains("put"));  // already stored
  json again = out_of(sender.adopt(records, 1002));  // told twice (channel + scan)
  CHECK(sender.stats()["queued"] == 3);
  json f = out_of(sender.flush(1003, false, 0));
  REQUIRE(f["send"].size() == 1);
  CHECK(f["send"][0]["events"] == 3);
  json d = out_of(sender.delivered(f["send"][0]["id"].get<std::uint64_t>(), 200, 0, test::ack(3), 1004));
  CHECK(d["del"].size() == 3);  // the adopted records are deleted only now, on confirmation
}

TEST_CASE("records: an unreadable record is deleted and reported, never sent") {
  Engine e(config("s"));
  json a = out_of(e.adopt("bad.1\t{not json\nok.1\t{\"type\":\"track\",\"event\":\"z\",\"messageId\":\"m\"}\n", 1000));
  CHECK(e.stats()["queued"] == 1);
  REQUIRE(a["del"].size() == 1);
  CHECK(a["del"][0] == "bad.1");
  CHECK(a["errors"][0]["code"] == "record_corrupt");
}

TEST_CASE("records: events sent while unloading are checked against receipts before they go again") {
  Engine page1(config("p1"));
  json in = out_of(page1.ingest(track_line("a", 1000) + track_line("b", 1000), 1000));
  const std::string stored_id = message_id(in["put"][1][1].get<std::string>());
  Engine page2(config("p2"));
  json adopted = out_of(page2.adopt(records_of(in, "?"), 2000));
  CHECK_FALSE(adopted.contains("probe"));  // the unloading page's requests may still be on their way
  CHECK(adopted["wake"] == 2000 + limits::kReceiptGraceMs);
  json a = out_of(page2.tick(2000 + limits::kReceiptGraceMs));
  REQUIRE(a.contains("probe"));
  CHECK(a["send"].empty());  // nothing goes before the answer
  CHECK(a["probe"]["messageIds"].size() == 3);
  // The collector stored one of them: its record is deleted, the two others are sent.
  json r = out_of(page2.receipts(a["probe"]["id"].get<std::uint64_t>(), 200,
                                 json({{"stored", {stored_id}}}).dump(), 2001));
  REQUIRE(r["del"].size() == 1);
  CHECK(r["del"][0] == in["put"][1][0]);
  json f = out_of(page2.flush(2002, false, 0));
  REQUIRE(f["send"].size() == 1);
  CHECK(f["send"][0]["events"] == 2);
}

TEST_CASE("records: a backend without receipts gets every unconfirmed event again") {
  Engine page1(config("p1"));
  json in = out_of(page1.ingest(track_line("a", 1000), 1000));
  Engine page2(config("p2"));
  page2.adopt(records_of(in, "?"), 2000);
  json a = out_of(page2.tick(2000 + limits::kReceiptGraceMs));
  json r = out_of(page2.receipts(a["probe"]["id"].get<std::uint64_t>(), 404, "{\"error\":{}}", 2001 + limits::kReceiptGraceMs));
  CHECK_FALSE(r.contains("del"));
  CHECK(page2.stats()["queued"] == 2);
  // A stale answer (unknown probe id) changes nothing.
  json stale = out_of(page2.receipts(999, 200, "{\"stored\":[]}", 2002));
  CHECK(page2.stats()["queued"] == 2);
}

TEST_CASE("records: over the queue bound the oldest are dropped, counted queue_full, and their records deleted") {
  EngineConfig c = config("t", 1000);
  c.queue.max_events = 3;
  Engine e(c);
  json first = out_of(e.ingest(track_line("a", 1000) + track_line("b", 1000), 1000));  // + session_start
  json over = out_of(e.ingest(track_line("c", 1001), 1001));
  REQUIRE(over["del"].size() == 1);
  CHECK(over["del"][0] == first["put"][0][0]);  // the oldest one
  CHECK(e.stats()["dropped"]["queue_full"] == 1);
}

TEST_CASE("records: a full store sheds the oldest quarter as storage_full, and the backend hears of it") {
  Engine e(config("t", 1000));
  std::string lines;
  for (int i = 0; i < 7; ++i) lines += track_line("e" + std::to_string(i), 1000);
  json in = out_of(e.ingest(lines, 1000));  // 8 events with session_start
  json s = out_of(e.shed(1001));
  REQUIRE(s["del"].size() == 2);
  CHECK(s["del"][0] == in["put"][0][0]);
  CHECK(s["del"][1] == in["put"][1][0]);
  CHECK(e.stats()["dropped"]["storage_full"] == 2);
  json f = out_of(e.flush(1002, false, 0));
  const json body = json::parse(e.batch_body(f["send"][0]["id"].get<std::uint64_t>()));
  CHECK(body["dropped"]["storage_full"] == 2);
  CHECK(body["batch"].size() == 6);
}

TEST_CASE("records: the default bounds hold a day offline (>= 50,000 events or 20 MB)") {
  CHECK(limits::kDefaultMaxQueueEvents >= 50000);
  CHECK(limits::kDefaultMaxQueueBytes >= 20u * 1024 * 1024);
  BatchQueueConfig defaults;
  CHECK(defaults.max_events == limits::kDefaultMaxQueueEvents);
}

TEST_CASE("records: drop counts survive in the small state") {
  EngineConfig c = config("t", 1000);
  c.queue.max_events = 2;
  Engine e(c);
  e.ingest(track_line("a", 1000) + track_line("b", 1000) + track_line("c", 1000), 1000);
  Engine f(c);
  f.restore(e.state(), 2000);
  CHECK(f.stats()["dropped"]["queue_full"] == 2);
  f.ingest(track_line("d", 2001), 2001);
  json out = out_of(f.flush(2002, false, 0));
  const json body = json::parse(f.batch_body(out["send"][0]["id"].get<std::uint64_t>()));
  CHECK(body["dropped"]["queue_full"] == 2);
}

TEST_CASE("records: tabId must be usable as a key prefix") {
  ValidationError err;
  CHECK_FALSE(EngineConfig::from_json(json{{"tabId", "a.b"}}, &err));
  CHECK(err.field == "/tabId");
  CHECK(EngineConfig::from_json(json{{"tabId", "a1b2c3d4"}}, &err));
}
