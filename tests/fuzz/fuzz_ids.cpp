// ids::parseId, the numeric form of -u and -g. Checked against a plain reference: only decimal
// digits, at most 10 of them, and a value below 4294967295 ((uid_t)-1, "unchanged" to
// setresuid(2)) are accepted, and the value is the decimal value of the text.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/ids.h"
#include "fuzz_check.h"

namespace {

std::optional<uint64_t> reference(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value >= 0xffffffffu) return std::nullopt;
  return value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto got = privbind::ids::parseId(text);
  auto want = reference(text);
  FUZZ_CHECK(got.has_value() == want.has_value());
  if (got) FUZZ_CHECK(*got == *want);
  return 0;
}
