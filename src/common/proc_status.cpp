#include "common/proc_status.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <string_view>
#include <vector>

#include "common/files.h"

namespace privbind::proc {

namespace {

// Strict numbers: the kernel prints plain decimal ids and 16 hex digits per capability set;
// signs, spaces inside a field and overflow are not its format.
template <class T>
bool parseNumber(std::string_view s, T& out, int base) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

std::vector<std::string_view> fields(std::string_view value) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < value.size()) {
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    size_t j = i;
    while (j < value.size() && value[j] != ' ' && value[j] != '\t') ++j;
    if (j > i) out.push_back(value.substr(i, j - i));
    i = j;
  }
  return out;
}

template <class T>
bool parseIds(std::string_view value, std::array<T, 4>& out) {
  auto f = fields(value);
  if (f.size() != out.size()) return false;
  for (size_t i = 0; i < out.size(); ++i) {
    uint32_t v = 0;
    if (!parseNumber(f[i], v, 10)) return false;
    out[i] = static_cast<T>(v);
  }
  return true;
}

bool parseCap(std::string_view value, uint64_t& out) {
  auto f = fields(value);
  return f.size() == 1 && parseNumber(f[0], out, 16);
}

}  // namespace

Result<Status> parseStatus(const std::string& text) {
  Status st;
  enum : unsigned { kUid = 1, kGid = 2, kInh = 4, kPrm = 8, kEff = 16, kBnd = 32, kAmb = 64 };
  constexpr unsigned kAll = 127;
  unsigned seen = 0;
  auto bad = [](const std::string& why) { return Error::refuse("/proc status", why); };
  std::string_view rest(text);
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    const struct {
      const char* name;
      unsigned bit;
      uint64_t* cap;
    } caps[] = {{"CapInh", kInh, &st.capInh},
                {"CapPrm", kPrm, &st.capPrm},
                {"CapEff", kEff, &st.capEff},
                {"CapBnd", kBnd, &st.capBnd},
                {"CapAmb", kAmb, &st.capAmb}};
    unsigned bit = 0;
    bool ok = true;
    if (key == "Uid") {
      bit = kUid;
      ok = parseIds(value, st.uid);
    } else if (key == "Gid") {
      bit = kGid;
      ok = parseIds(value, st.gid);
    } else if (key == "Groups") {
      st.groups.clear();
      for (auto f : fields(value)) {
        uint32_t g = 0;
        if (!parseNumber(f, g, 10)) return bad("malformed Groups line");
        st.groups.push_back(static_cast<gid_t>(g));
      }
    } else if (key == "NoNewPrivs" || key == "Seccomp") {
      auto f = fields(value);
      int v = -1;
      if (f.size() != 1 || !parseNumber(f[0], v, 10)) return bad("malformed " + std::string(key));
      (key == "Seccomp" ? st.seccomp : st.noNewPrivs) = v;
    } else {
      for (const auto& c : caps)
        if (key == c.name) {
          bit = c.bit;
          ok = parseCap(value, *c.cap);
        }
    }
    if (!ok) return bad("malformed " + std::string(key) + " line");
    // The kernel writes each line once; a repeated one is not its output.
    if (bit && (seen & bit)) return bad(std::string(key) + " appears twice");
    seen |= bit;
  }
  // Uid, Gid and the five capability sets must all be there (CapAmb since Linux 4.3).
  if (seen != kAll) return bad("missing Uid, Gid or Cap* lines");
  return st;
}

Result<Status> readStatus(pid_t pid) {
  std::string path = pid == 0 ? "/proc/self/status" : "/proc/" + std::to_string(pid) + "/status";
  auto text = files::readFile(path);
  if (!text) return text.error();
  auto st = parseStatus(*text);
  if (!st) return st.error().prefix(path);
  return st;
}

Result<Status> readSelf() { return readStatus(0); }

}  // namespace privbind::proc
