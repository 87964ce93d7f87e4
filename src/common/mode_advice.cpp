#include "common/mode_advice.h"

#include <optional>

namespace privbind::advice {

namespace {

Probe registered = nullptr;

}  // namespace

void setCgroupProbe(Probe probe) { registered = probe; }

std::string modeInsteadOfBroker(const Status& cgroupProbe) {
  if (cgroupProbe) return "use --mode=cgroup (no capability, no preload library)";
  return "use --mode=caps (cgroup mode is not available here: " + cgroupProbe.error().message() +
         ")";
}

std::string modeInsteadOfBroker() {
  // The probe loads BPF programs: once is enough for every message of this run.
  static std::optional<std::string> once;
  if (!once) {
    if (registered)
      once = modeInsteadOfBroker(registered());
    else
      once = "use --mode=caps";
  }
  return *once;
}

}  // namespace privbind::advice
