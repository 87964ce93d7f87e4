// ports::parse, the --ports and --reuseport lists. Invariants: a list that parses is non-empty,
// never holds port 0, and its canonical text parses back to the same set and the same text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/ports.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace privbind;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto set = ports::parse(text);
  if (!set) {
    FUZZ_CHECK(!set.error().why().empty());
    return 0;
  }
  FUZZ_CHECK(!set->empty());
  FUZZ_CHECK(!set->contains(0));
  // Every accepted byte is a digit, a comma or a dash.
  for (char c : text) FUZZ_CHECK((c >= '0' && c <= '9') || c == ',' || c == '-');
  const std::string canonical = set->toString();
  auto again = ports::parse(canonical);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *set);
  FUZZ_CHECK(again->toString() == canonical);
  return 0;
}
