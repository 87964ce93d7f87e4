#include "doctor/model.h"

namespace privbind::doctor {

const char* fixStatusName(FixStatus s) {
  switch (s) {
    case FixStatus::kNotNeeded:
      return "not-needed";
    case FixStatus::kDryRun:
      return "dry-run";
    case FixStatus::kApplied:
      return "applied";
    case FixStatus::kUnchanged:
      return "unchanged";
  }
  return "not-needed";
}

}  // namespace privbind::doctor
