// Engine::delivered with arbitrary answers: per round a batch pick, an HTTP status, Retry-After
// and a response body (the backend's JSON ack, garbage, HTML...). First byte: config flags.
#include "fuzz_common.hpp"

#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  touchpoint::fuzz::Bytes in(data, size);
  const std::uint8_t flags = in.byte() & ~4;  // granted: batches go out
  touchpoint::Engine e = touchpoint::fuzz::make_engine(flags);
  std::int64_t now = 1700000000000;
  std::vector<std::uint64_t> ids;
  auto collect = [&](const touchpoint::Output& o) {
    for (const auto& s : o.send) {
      const auto* id = touchpoint::json_access::find(s, "id");
      if (id && id->is_number_unsigned()) ids.push_back(id->get<std::uint64_t>());
    }
  };
  std::string calls;
  for (int i = 0; i < 30; ++i) calls += "t\t" + std::to_string(now + i) + "\t\"view\"\t{\"i\":" + std::to_string(i) + "}\n";
  collect(e.ingest(calls, now));
  collect(e.flush(now, false, 0));
  for (int round = 0; round < 16 && !in.done(); ++round) {
    const std::uint8_t pick = in.byte();
    const int status = static_cast<int>(in.u16() % 700);
    const std::int64_t retry_after = static_cast<std::int64_t>(in.u16()) * 100;
    const std::string_view body = in.chunk();
    // Mostly a batch handed out, sometimes an id nobody issued.
    const std::uint64_t id = ids.empty() || pick == 0xFE ? pick : ids[pick % ids.size()];
    now += 1000 + retry_after;
    collect(e.delivered(id, status, retry_after, body, now));
    collect(e.tick(now));
    if (pick & 1) collect(e.ingest("t\t" + std::to_string(now) + "\t\"more\"\t{}", now));
  }
  if (flags & 16) touchpoint::fuzz::settle(e, now);
  else (void)e.snapshot();
  return 0;
}
