// proc::parseStatus, the reader of /proc/PID/status that privdrop trusts to verify credentials.
// Invariants: a text is accepted only if it has every line the verification relies on (Uid, Gid
// and the five Cap* sets), and what was read survives a round trip through the kernel's format.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "common/proc_status.h"
#include "fuzz_check.h"

namespace {

bool hasLine(const std::string& text, const std::string& key) {
  const std::string needle = key + ":";
  if (text.compare(0, needle.size(), needle) == 0) return true;
  return text.find("\n" + needle) != std::string::npos;
}

std::string format(const privbind::proc::Status& st) {
  char buf[512];
  std::string out;
  std::snprintf(buf, sizeof buf, "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nGroups:", st.uid[0],
                st.uid[1], st.uid[2], st.uid[3], st.gid[0], st.gid[1], st.gid[2], st.gid[3]);
  out += buf;
  for (gid_t g : st.groups) out += " " + std::to_string(g);
  std::snprintf(
      buf, sizeof buf,
      "\nCapInh:\t%016llx\nCapPrm:\t%016llx\nCapEff:\t%016llx\nCapBnd:\t%016llx\n"
      "CapAmb:\t%016llx\nNoNewPrivs:\t%d\nSeccomp:\t%d\n",
      static_cast<unsigned long long>(st.capInh), static_cast<unsigned long long>(st.capPrm),
      static_cast<unsigned long long>(st.capEff), static_cast<unsigned long long>(st.capBnd),
      static_cast<unsigned long long>(st.capAmb), st.noNewPrivs, st.seccomp);
  out += buf;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace privbind;
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto st = proc::parseStatus(text);
  if (!st) return 0;
  for (const char* key : {"Uid", "Gid", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
    FUZZ_CHECK(hasLine(text, key));
  auto again = proc::parseStatus(format(*st));
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->uid == st->uid);
  FUZZ_CHECK(again->gid == st->gid);
  FUZZ_CHECK(again->groups == st->groups);
  FUZZ_CHECK(again->capInh == st->capInh && again->capPrm == st->capPrm);
  FUZZ_CHECK(again->capEff == st->capEff && again->capBnd == st->capBnd);
  FUZZ_CHECK(again->capAmb == st->capAmb);
  FUZZ_CHECK(again->noNewPrivs == st->noNewPrivs && again->seccomp == st->seccomp);
  return 0;
}
