// A classic BPF program (the seccomp(2) filter language) written with symbolic labels: each jump
// names where it goes, and finish() turns the names into the 8-bit forward offsets the kernel
// wants, in one pass, refusing a jump that goes backwards, to nowhere, or farther than 255
// instructions. No offset is ever counted by hand (minijail's bpf.c builds its filters this way).
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <vector>

#include "common/error.h"

namespace privbind::bpf {

class Program {
 public:
  // A place in the program, named before it is placed.
  struct Label {
    int id = -1;
  };
  // The instruction right after the jump: a conditional jump's way on.
  static constexpr Label kNext{-1};

  Label newLabel();
  // The next instruction emitted is where label points. Each label is placed once.
  void place(Label label);

  // A = the 32-bit word at offset of the input (seccomp_data for a seccomp filter).
  void loadWord(uint32_t offset);
  // if (A == k) goto ifEqual else goto otherwise.
  void jumpIfEqual(uint32_t k, Label ifEqual, Label otherwise);
  // if (A >= k) goto ifGreaterOrEqual else goto otherwise (unsigned).
  void jumpIfAtLeast(uint32_t k, Label ifGreaterOrEqual, Label otherwise);
  // return k (for seccomp, the action: SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS, ...).
  void ret(uint32_t k);

  // The instructions with every label resolved, or the first jump that cannot be encoded.
  Result<std::vector<sock_filter>> finish() const;

 private:
  struct Insn {
    sock_filter code;
    Label jt = kNext, jf = kNext;
  };
  void jump(uint16_t op, uint32_t k, Label jt, Label jf);
  std::vector<Insn> insns_;
  std::vector<int> places_;  // by label id: the index of its instruction, -1 while unplaced
  bool misplaced_ = false;   // a label placed twice, or one not made here
};

}  // namespace privbind::bpf
