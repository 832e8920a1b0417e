// Engine::restore over arbitrary snapshots (magic line, JSON header, rule state, event lines).
// First byte: config flags; the rest is the snapshot. Then the engine must keep working.
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  touchpoint::fuzz::Bytes in(data, size);
  const std::uint8_t flags = in.byte();
  touchpoint::Engine e = touchpoint::fuzz::make_engine(flags);
  const std::int64_t now = 1700000000000;
  (void)e.restore(in.rest(), now).to_json();
  (void)e.ingest("t\t1700000000001\t\"view\"\t{\"price\":5}\n{\"type\":\"identify\",\"userId\":\"u1\",\"traits\":{\"plan\":\"pro\"}}", now).to_json();
  (void)e.advance_rules(now + 3600 * 1000).to_json();
  if (flags & 16) touchpoint::fuzz::settle(e, now + 3600 * 1000);
  else (void)e.snapshot();
  return 0;
}
