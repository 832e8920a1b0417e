// Engine::ingest over arbitrary NDJSON: JSON call objects and the tab-separated track hot line
// "t\t<ts>\t<name JSON>\t<props JSON>". First byte: config flags (fuzz_common.hpp); then calls.
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  touchpoint::fuzz::Bytes in(data, size);
  const std::uint8_t flags = in.byte();
  touchpoint::Engine e = touchpoint::fuzz::make_engine(flags);
  std::int64_t now = 1700000000000;
  // Several ingests (0xFF separates them) so state built by one is read by the next.
  for (int round = 0; round < 8 && !in.done(); ++round) {
    now += in.byte() * 1000;
    (void)e.ingest(in.chunk(), now).to_json();
  }
  // The full settle (snapshot, restore, gzip, share) costs ~2 ms: only for inputs that ask for it.
  if (flags & 16) touchpoint::fuzz::settle(e, now);
  else (void)e.flush(now, false, 0).to_json();
  return 0;
}
