#include "doctor/doctor.h"

namespace privbind::doctor {

Result<int> run(const std::vector<std::string>&) {
  return Error::refuse("doctor", "not available in this build yet");
}

}  // namespace privbind::doctor
