#include "common/bpf_program.h"

#include <string>

namespace privbind::bpf {

Program::Label Program::newLabel() {
  places_.push_back(-1);
  return Label{static_cast<int>(places_.size()) - 1};
}

void Program::place(Label label) {
  if (label.id < 0 || label.id >= static_cast<int>(places_.size()) || places_[label.id] >= 0) {
    misplaced_ = true;
    return;
  }
  places_[label.id] = static_cast<int>(insns_.size());
}

void Program::loadWord(uint32_t offset) {
  insns_.push_back({BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset)});
}

void Program::jump(uint16_t op, uint32_t k, Label jt, Label jf) {
  insns_.push_back({BPF_JUMP(BPF_JMP | op | BPF_K, k, 0, 0), jt, jf});
}

void Program::jumpIfEqual(uint32_t k, Label ifEqual, Label otherwise) {
  jump(BPF_JEQ, k, ifEqual, otherwise);
}

void Program::jumpIfAtLeast(uint32_t k, Label ifGreaterOrEqual, Label otherwise) {
  jump(BPF_JGE, k, ifGreaterOrEqual, otherwise);
}

void Program::ret(uint32_t k) { insns_.push_back({BPF_STMT(BPF_RET | BPF_K, k)}); }

Result<std::vector<sock_filter>> Program::finish() const {
  if (misplaced_)
    return Error::refuse("building a BPF program", "a label was placed twice or is unknown");
  // A classic BPF program is at most BPF_MAXINSNS long; the kernel refuses a longer one.
  if (insns_.empty() || insns_.size() > BPF_MAXINSNS)
    return Error::refuse("building a BPF program", std::to_string(insns_.size()) +
                                                       " instructions (1 to " +
                                                       std::to_string(BPF_MAXINSNS) + " fit)");
  // The last instruction must return: the kernel's checker refuses a program that can run off
  // its end, and so does this.
  if (BPF_CLASS(insns_.back().code.code) != BPF_RET)
    return Error::refuse("building a BPF program", "it does not end with a return");
  std::vector<sock_filter> out;
  out.reserve(insns_.size());
  for (size_t i = 0; i < insns_.size(); ++i) {
    sock_filter f = insns_[i].code;
    if (BPF_CLASS(f.code) == BPF_JMP) {
      // Classic BPF jumps only forwards, by jt/jf instructions after the next one (0..255).
      auto offset = [&](Label l, uint8_t& field) -> Status {
        if (l.id == kNext.id) {
          field = 0;
          return {};
        }
        if (l.id < 0 || l.id >= static_cast<int>(places_.size()) || places_[l.id] < 0)
          return Error::refuse("building a BPF program",
                               "instruction " + std::to_string(i) + " jumps to an unplaced label");
        const long distance = static_cast<long>(places_[l.id]) - static_cast<long>(i) - 1;
        if (distance < 0 || distance > 255)
          return Error::refuse("building a BPF program",
                               "instruction " + std::to_string(i) + " jumps by " +
                                   std::to_string(distance) + " (0 to 255 fit)");
        field = static_cast<uint8_t>(distance);
        return {};
      };
      if (auto s = offset(insns_[i].jt, f.jt); !s) return s.error();
      if (auto s = offset(insns_[i].jf, f.jf); !s) return s.error();
    }
    out.push_back(f);
  }
  return out;
}

}  // namespace privbind::bpf
