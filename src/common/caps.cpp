#include "common/caps.h"

#include <sys/prctl.h>

#include <charconv>
#include <memory>
#include <vector>

#include "common/files.h"

namespace privbind::caps {

namespace {

struct CapFree {
  void operator()(void* p) const { cap_free(p); }
};
using CapPtr = std::unique_ptr<std::remove_pointer_t<cap_t>, CapFree>;

}  // namespace

int lastCap() {
  auto text = files::readFile("/proc/sys/kernel/cap_last_cap");
  if (text) {
    int value = -1;
    auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec == std::errc() && value > 0 && value < 64) return value;
  }
  return static_cast<int>(cap_max_bits()) - 1;
}

bool inBounding(cap_value_t cap) { return prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1; }

bool ambientSupported() {
  return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, kNetBindService, 0, 0) >= 0;
}

Result<bool> hasEffective(cap_value_t cap) {
  CapPtr current(cap_get_proc());
  if (!current) return Error::fromErrno("cap_get_proc()", errno);
  cap_flag_value_t value = CAP_CLEAR;
  if (cap_get_flag(current.get(), cap, CAP_EFFECTIVE, &value) != 0)
    return Error::fromErrno("cap_get_flag(" + names(bit(cap), cap) + ")", errno);
  return value == CAP_SET;
}

Status shrinkBounding(uint64_t keep, int last) {
  for (cap_value_t cap = 0; cap <= last; ++cap) {
    if (keep & bit(cap)) continue;
    if (!inBounding(cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
      return Error::fromErrno("prctl(PR_CAPBSET_DROP, " + names(bit(cap), last) + ")", errno);
  }
  return {};
}

Status raiseEffective(cap_value_t cap) {
  CapPtr current(cap_get_proc());
  if (!current) return Error::fromErrno("cap_get_proc()", errno);
  if (cap_set_flag(current.get(), CAP_EFFECTIVE, 1, &cap, CAP_SET) != 0)
    return Error::fromErrno("cap_set_flag()", errno);
  if (cap_set_proc(current.get()) != 0)
    return Error::fromErrno("capset(effective+=" + names(bit(cap), cap) + ")", errno);
  return {};
}

Status setSets(uint64_t keep, uint64_t inheritable, int last) {
  CapPtr caps(cap_init());  // all three sets empty
  if (!caps) return Error::fromErrno("cap_init()", errno);
  std::vector<cap_value_t> kept, inh;
  for (cap_value_t cap = 0; cap <= last; ++cap) {
    if (keep & bit(cap)) kept.push_back(cap);
    if (inheritable & bit(cap)) inh.push_back(cap);
  }
  if ((!kept.empty() && (cap_set_flag(caps.get(), CAP_PERMITTED, static_cast<int>(kept.size()),
                                      kept.data(), CAP_SET) != 0 ||
                         cap_set_flag(caps.get(), CAP_EFFECTIVE, static_cast<int>(kept.size()),
                                      kept.data(), CAP_SET) != 0)) ||
      (!inh.empty() && cap_set_flag(caps.get(), CAP_INHERITABLE, static_cast<int>(inh.size()),
                                    inh.data(), CAP_SET) != 0))
    return Error::fromErrno("cap_set_flag()", errno);
  if (cap_set_proc(caps.get()) != 0)
    return Error::fromErrno("capset(permitted=effective=" + names(keep, last) +
                                ", inheritable=" + names(inheritable, last) + ")",
                            errno);
  return {};
}

Status clearAmbient() {
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
    return Error::fromErrno("prctl(PR_CAP_AMBIENT_CLEAR_ALL)", errno);
  return {};
}

Status raiseAmbient(cap_value_t cap) {
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
    return Error::fromErrno("prctl(PR_CAP_AMBIENT_RAISE, " + names(bit(cap), cap) + ")", errno);
  return {};
}

std::string names(uint64_t mask, int last) {
  std::string out;
  for (cap_value_t cap = 0; cap <= last && cap < 64; ++cap) {
    if (!(mask & bit(cap))) continue;
    char* name = cap_to_name(cap);
    if (!out.empty()) out += ',';
    out += name ? name : std::to_string(cap);
    cap_free(name);
  }
  return out.empty() ? "none" : out;
}

}  // namespace privbind::caps
